// Package server holds planted issues for the Go rules.
package server

import (
	"crypto/tls"
	"fmt"
)

const githubToken = "ghp_Zx81pLq0Wm3nR7tYu2VbZx81pLq0Wm3nR7tY"

func Query(id string) string {
	cfg := &tls.Config{InsecureSkipVerify: true}
	_ = cfg
	return fmt.Sprintf("SELECT * FROM users WHERE id = %s", id) // XXX: use parameters
}
