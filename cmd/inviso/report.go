package main

import "github.com/spf13/cobra"

// PLACEHOLDER: replaced by the disclosure and reports work in progress.
func newDiscloseCmd() *cobra.Command { return &cobra.Command{Use: "disclose", Hidden: true} }

// PLACEHOLDER: replaced by the disclosure and reports work in progress.
func newReportCmd() *cobra.Command { return &cobra.Command{Use: "report", Hidden: true} }
