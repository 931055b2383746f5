// Command inviso is the one binary of the inviso sandbox: the server, the demo, and a client
// for every role.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
