//go:build tools

// Package tools pins k8s.io/kubernetes for scripts/tools.sh, which builds the local
// control plane (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) from it.
// The blank imports keep `go mod tidy` from dropping the requirements.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubectl/pkg/cmd"
)

