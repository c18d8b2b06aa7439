#!/usr/bin/env bash
# Inputs: STEP
. ./lib.sh # picluster:inline

remove_file /etc/rancher/k3s/registries.yaml || true
