// Package api is inviso's HTTP JSON API, version 1 (../shared/API.md is the contract).
//
// Handlers are thin: authenticate, check the route's roles, decode, call the Sandbox, encode.
// Every route is declared once in the route table with the roles that may call it, and a test
// walks that table for every role. Errors leave as {"error": {"code", "message", "reasons"}}
// with a stable code; an error without a code becomes a generic internal error, and its text
// goes to the server log with quoted values redacted, never to the client.
package api
