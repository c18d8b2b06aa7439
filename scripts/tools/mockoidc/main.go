// Command mockoidc serves github.com/oauth2-proxy/mockoidc (a library) as a
// stand-alone OpenID Connect provider for the gateway e2e suite, in place of
// Google. Built by scripts/tools.sh; not part of the deployed program.
//
// It listens on --addr with TLS (--tls-cert/--tls-key: OAuth2 Proxy is given
// an https issuer, as the stack config requires), so its issuer is
// https://<addr>/oidc. Every login signs in as --email, unless the browser's
// request to the authorization endpoint carries ?mock_email=<address>: the test
// appends it to the URL OAuth2 Proxy redirected it to, to sign in as another
// user (one inside, one outside the allow-list) against the same server.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/oauth2-proxy/mockoidc"
)

// version is stamped in by scripts/tools.sh (-ldflags -X main.version=...).
var version = "undefined"

func main() {
	addr := flag.String("addr", "127.0.0.1:9443", "address to listen on (host:port)")
	certFile := flag.String("tls-cert", "", "PEM certificate for --addr (required)")
	keyFile := flag.String("tls-key", "", "PEM private key of --tls-cert (required)")
	clientID := flag.String("client-id", "", "OAuth client id the relying party uses (required)")
	secretFile := flag.String("client-secret-file", "", "file holding the OAuth client secret (required; never on the command line)")
	email := flag.String("email", "jane.doe@example.com", "email of the user each login signs in as, unless ?mock_email= is given")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Printf("mockoidc %s\n", version)
		return
	}
	for name, v := range map[string]string{"tls-cert": *certFile, "tls-key": *keyFile, "client-id": *clientID, "client-secret-file": *secretFile} {
		if v == "" {
			log.Fatalf("mockoidc: --%s is required", name)
		}
	}
	secret, err := os.ReadFile(*secretFile)
	if err != nil {
		log.Fatalf("mockoidc: reading --client-secret-file: %v", err)
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatalf("mockoidc: loading the TLS key pair: %v", err)
	}

	m, err := mockoidc.NewServer(nil)
	if err != nil {
		log.Fatalf("mockoidc: %v", err)
	}
	m.ClientID = *clientID
	m.ClientSecret = string(trimNewline(secret))
	if err := m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == mockoidc.AuthorizationEndpoint {
				who := r.URL.Query().Get("mock_email")
				if who == "" {
					who = *email
				}
				user := mockoidc.DefaultUser()
				user.Subject = who
				user.Email = who
				user.PreferredUsername = who
				m.QueueUser(user)
				log.Printf("mockoidc: login as %s", who)
			}
			next.ServeHTTP(w, r)
		})
	}); err != nil {
		log.Fatalf("mockoidc: %v", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("mockoidc: %v", err)
	}
	if err := m.Start(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), &tls.Config{}); err != nil {
		log.Fatalf("mockoidc: %v", err)
	}
	// Printed once listening: the harness waits for this line.
	fmt.Printf("mockoidc listening, issuer %s\n", m.Issuer())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	_ = m.Shutdown()
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
