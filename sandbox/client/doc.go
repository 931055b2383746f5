// Package client is a Go client of inviso's HTTP API, used by the CLI and the demo. Server
// errors come back as *fault.Error with the server's stable code, message and reasons.
package client
