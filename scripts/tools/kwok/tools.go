//go:build tools

// Package tools pins sigs.k8s.io/kwok for scripts/tools.sh, which builds the kwok
// controller (simulated kubelets) from it. The blank import keeps `go mod tidy`
// from dropping the requirement.
package tools

import (
	_ "sigs.k8s.io/kwok/pkg/kwok/cmd"
)

