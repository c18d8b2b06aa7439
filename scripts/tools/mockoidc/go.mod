// Wrapper module that builds a stand-alone OpenID Connect provider from
// github.com/oauth2-proxy/mockoidc (a library) for the gateway e2e suite
// (harness/gateway.ts). To move: change the version, `go mod tidy`.
module picluster.local/tools/mockoidc

go 1.26.0

require github.com/oauth2-proxy/mockoidc v0.0.0-20261103160011-e06ed0b7cb7f

require (
	github.com/go-jose/go-jose/v4 v4.1.8 // indirect
	github.com/golang-jwt/jwt/v5 v5.2.0 // indirect
)
