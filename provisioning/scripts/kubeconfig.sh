#!/usr/bin/env bash
# Print the K3s admin kubeconfig with the API address rewritten from loopback to
# API_URL. The caller runs this with logging off and stdout marked secret.
# Inputs: STEP API_URL
. ./lib.sh # picluster:inline

wait_for "/etc/rancher/k3s/k3s.yaml" 120 test -s /etc/rancher/k3s/k3s.yaml
sed "s#https://127.0.0.1:6443#${API_URL}#" /etc/rancher/k3s/k3s.yaml
