// get_token restores a session (TAPIS_* environment, then ~/.agave) and prints an access token
// valid for at least 5 more minutes. Exit status 2 means "log in first".
package main

import (
	"fmt"
	"os"

	tapisauth "github.com/libtapis-auth/libtapis_auth/bindings/go"
)

func main() {
	s, err := tapisauth.Restore(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		if tapisauth.IsLoginRequired(err) {
			os.Exit(2)
		}
		os.Exit(1)
	}
	defer s.Close()
	tok, err := s.AccessToken(300)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(tok)
}
