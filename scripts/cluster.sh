#!/usr/bin/env bash
# npm run cluster:up | cluster:down | cluster:status
#
# A local Kubernetes control plane for the dev stack, listening only on this host
# (loopback, and 198.18.0.1 on a port-less bridge of its own): etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler, kwok playing the kubelet of one node
# per K3s node of the stack's inventory (same names and labels, a Raspberry Pi 5's
# capacity), Traefik with K3s's CRDs and IngressClass, and metrics-server; all built
# by scripts/tools.sh from Go modules. Pods are scheduled, bound and reported Running
# and Ready by kwok; no container runs. `up` writes the admin kubeconfig the dev stack
# reads (cluster.kubeconfig: {source: file, path: .cache/cluster/kubeconfig}).
#
#   up [STACK]       start what is not running (default stack: dev); idempotent
#   down [--purge]   stop everything; --purge also deletes etcd's data and the certificates
#   status           which daemons run, and the nodes
#
# The datastore is etcd 3.6 (built by scripts/tools.sh): the API server's own store,
# with no C toolchain needed (kine's SQLite driver needs cgo).
# Environment: PICLUSTER_CLUSTER_DIR (default .cache/cluster), PICLUSTER_TOOLS_BIN
# (a directory with the binaries, used as it is instead of running scripts/tools.sh),
# PICLUSTER_HPA_SYNC (the HPA controller's sync period, default 5s: faster than
# Kubernetes' 15 s so that experiments finish sooner; the algorithm is unchanged).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${PICLUSTER_CLUSTER_DIR:-$repo/.cache/cluster}"
pki="$dir/pki"
api_port=16443
etcd_port=12379
kwok_port=10247
metrics_port=4443
# The API server must advertise a non-loopback address (the `kubernetes` Service's
# endpoint); it lives on an interface of its own (a bridge with no ports: the
# dummy driver is not always there), an address no route leads to from outside.
adv_if=pick8s0
adv_ip=198.18.0.1
service_cidr=10.43.0.0/16 # K3s's default
pod_cidr=10.42.0.0/16
hpa_sync="${PICLUSTER_HPA_SYNC:-5s}"
kubeconfig="$dir/kubeconfig"
# In start order; stopped in reverse.
daemons=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok traefik metrics-server)

log() { printf 'cluster: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

running() { # name
	local pid
	pid="$(cat "$dir/$1.pid" 2>/dev/null)" || return 1
	kill -0 "$pid" 2>/dev/null
}

# Start a daemon in its own session, logging to $dir/NAME.log.
start() { # name cmd...
	local name="$1"
	shift
	if running "$name"; then return 0; fi
	log "starting $name"
	setsid "$@" >>"$dir/$name.log" 2>&1 </dev/null &
	echo $! >"$dir/$name.pid"
}

# Wait (bounded) until cmd succeeds; name the daemon and its log when it does not.
wait_for() { # name seconds cmd...
	local name="$1" deadline=$((SECONDS + $2))
	shift 2
	until "$@" >/dev/null 2>&1; do
		running "$name" || die "$name exited; last lines of $dir/$name.log:$(printf '\n'; tail -n 20 "$dir/$name.log")"
		((SECONDS < deadline)) || die "$name not ready after ${deadline}s (log: $dir/$name.log)"
		sleep 0.5
	done
}

# A certificate signed by the cluster CA ($CA names another).
issue() { # name subject [subjectAltName]
	local name="$1" subj="$2" san="${3:-}"
	[[ -f "$pki/$name.crt" ]] && return 0
	openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$name.key" 2>/dev/null
	openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr"
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		if [[ -n "$san" ]]; then
			echo "extendedKeyUsage=serverAuth,clientAuth"
			echo "subjectAltName=$san"
		else
			echo "extendedKeyUsage=clientAuth"
		fi
	} >"$pki/$name.ext"
	openssl x509 -req -in "$pki/$name.csr" -CA "$pki/${CA:-ca}.crt" -CAkey "$pki/${CA:-ca}.key" -CAcreateserial \
		-days 3650 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
	rm -f "$pki/$name.csr" "$pki/$name.ext"
}

# A self-signed certificate authority, made once.
make_ca() { # name common-name
	[[ -f "$pki/$1.crt" ]] && return 0
	openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$1.key" 2>/dev/null
	openssl req -x509 -new -key "$pki/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$pki/$1.crt"
}

make_pki() {
	install -d -m 0700 "$pki"
	make_ca ca picluster-local-ca
	issue apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:$adv_ip,IP:${service_cidr%.0/*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
	issue admin "/O=system:masters/CN=picluster-admin"
	issue controller-manager "/CN=system:kube-controller-manager"
	issue scheduler "/CN=system:kube-scheduler"
	# kwok writes node and pod status for every node: the node authorizer would need
	# one identity per node, so it runs with the admin's group.
	issue kwok "/O=system:masters/CN=kwok"
	# Served on the advertised address: kwok's kubelet endpoints and metrics-server.
	issue kwok-serving "/CN=kwok" "IP:$adv_ip"
	issue metrics-server "/CN=metrics-server" "IP:$adv_ip,DNS:metrics-server.kube-system.svc"
	# The aggregation layer: the API server proxies metrics.k8s.io to metrics-server
	# with a client certificate from a CA of its own.
	make_ca front-proxy-ca picluster-front-proxy-ca
	CA=front-proxy-ca issue front-proxy-client "/CN=front-proxy-client"
	[[ -f "$pki/sa.key" ]] || openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$pki/sa.key" 2>/dev/null
	[[ -f "$pki/sa.pub" ]] || openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
	chmod 0600 "$pki"/*.key
}

# A kubeconfig for the local API server (0600, replaced atomically); $3 is the
# user's credentials as YAML flow mapping.
write_kubeconfig() { # file user credentials
	local tmp
	tmp="$(mktemp "$1.XXXXXX")"
	cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: picluster-local
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $2
  user: $3
contexts:
- name: picluster-local
  context: { cluster: picluster-local, user: $2 }
current-context: picluster-local
EOF
	chmod 0600 "$tmp"
	mv "$tmp" "$1"
}

# A kubeconfig with a client certificate made by make_pki.
cert_kubeconfig() { # file user
	write_kubeconfig "$1" "$2" "{ client-certificate-data: $(base64 -w0 "$pki/$2.crt"), client-key-data: $(base64 -w0 "$pki/$2.key") }"
}

ensure_advertise_address() {
	if ! ip link show "$adv_if" >/dev/null 2>&1; then
		[[ "$(id -u)" -eq 0 ]] || die "need root once, to add the interface $adv_if ($adv_ip) the API server advertises"
		ip link add "$adv_if" type bridge
	fi
	ip addr show dev "$adv_if" | grep -q " $adv_ip/" || ip addr add "$adv_ip/32" dev "$adv_if"
	ip link set "$adv_if" up
}

# A definition tools.sh took from a pinned module into .tools/share (kwok's stages,
# Traefik's CRDs and RBAC, metrics-server's RBAC).
share() { echo "$repo/.tools/share/$1"; }

kubectl_() { "$bin/kubectl" --kubeconfig "$kubeconfig" --request-timeout=30s "$@"; }

up() {
	local stack="${1:-dev}"
	command -v openssl >/dev/null || die "openssl is not installed"
	bin="${PICLUSTER_TOOLS_BIN:-$(PICLUSTER_TOOLS_PROVIDERS="" bash "$repo/scripts/tools.sh")}"
	mkdir -p "$dir"
	make_pki
	ensure_advertise_address
	cert_kubeconfig "$kubeconfig" admin
	for who in controller-manager scheduler kwok; do cert_kubeconfig "$dir/$who.kubeconfig" "$who"; done

	start etcd "$bin/etcd" --name picluster --data-dir "$dir/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 \
		--initial-cluster picluster=http://127.0.0.1:12380 --quota-backend-bytes 2147483648
	start kube-apiserver "$bin/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address 127.0.0.1 --secure-port "$api_port" --advertise-address "$adv_ip" \
		--service-cluster-ip-range "$service_cidr" \
		--client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
		--service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.pub" \
		--service-account-signing-key-file "$pki/sa.key" \
		--authorization-mode Node,RBAC --allow-privileged=true --profiling=false \
		--requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
		--requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
		--requestheader-extra-headers-prefix X-Remote-Extra- \
		--proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
		--enable-aggregator-routing=true
	wait_for kube-apiserver 120 "$bin/kubectl" --kubeconfig "$kubeconfig" --request-timeout=5s get --raw /readyz

	start kube-controller-manager "$bin/kube-controller-manager" \
		--kubeconfig "$dir/controller-manager.kubeconfig" \
		--authentication-kubeconfig "$dir/controller-manager.kubeconfig" --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
		--bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
		--service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
		--cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
		--service-cluster-ip-range "$service_cidr" --cluster-cidr "$pod_cidr" --allocate-node-cidrs=false \
		--horizontal-pod-autoscaler-sync-period "$hpa_sync" --profiling=false
	start kube-scheduler "$bin/kube-scheduler" \
		--kubeconfig "$dir/scheduler.kubeconfig" \
		--authentication-kubeconfig "$dir/scheduler.kubeconfig" --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
		--bind-address 127.0.0.1 --leader-elect=false --profiling=false
	start kwok "$bin/kwok" --kubeconfig "$dir/kwok.kubeconfig" --config "$(share kwok.yaml)" \
		--manage-all-nodes=true --node-lease-duration-seconds 40 \
		--cidr 10.42.0.1/16 --node-ip "$adv_ip" --node-port "$kwok_port" \
		--server-address "$adv_ip:$kwok_port" \
		--tls-cert-file "$pki/kwok-serving.crt" --tls-private-key-file "$pki/kwok-serving.key"

	# What K3s itself installs and the program relies on: Traefik's CRDs, its
	# IngressClass and Traefik itself (which also publishes each Ingress's address).
	kubectl_ apply --server-side --force-conflicts -f "$(share traefik-crds.yaml)" >/dev/null
	kubectl_ apply --server-side --force-conflicts -f "$(share traefik-rbac.yaml)" -f "$repo/scripts/cluster/addons.yaml" >/dev/null
	(cd "$repo" && npx ts-node --transpile-only scripts/cluster-nodes.ts "$stack") | kubectl_ apply --server-side --force-conflicts -f - >/dev/null
	start_traefik
	start_metrics_server
	wait_for kwok 120 kubectl_ wait --for=condition=Ready node --all --timeout=5s
	log "ready: $(kubectl_ get nodes --no-headers | wc -l) nodes; kubeconfig $kubeconfig"
}

# A kubeconfig holding a ServiceAccount's token, for metrics-server, which runs
# with the RBAC of its own manifests.
token_kubeconfig() { # namespace serviceaccount file
	write_kubeconfig "$3" "$2" "{ token: $(kubectl_ -n "$1" create token "$2" --duration=720h) }"
}

# metrics-server, served to the API server's aggregation layer as metrics.k8s.io:
# the HPA controller reads pods' CPU from it, which it scrapes from kwok's kubelet
# endpoints (each pod's usage follows its kwok.x-k8s.io/usage-cpu annotation).
start_metrics_server() {
	running metrics-server && return 0
	kubectl_ apply --server-side --force-conflicts -f "$(share metrics-server-rbac.yaml)" >/dev/null
	kubectl_ apply --server-side --force-conflicts -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: { name: metrics-server, namespace: kube-system }
spec:
  ports: [{ name: https, port: 443, targetPort: $metrics_port }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: metrics-server-local
  namespace: kube-system
  labels: { kubernetes.io/service-name: metrics-server }
addressType: IPv4
endpoints: [{ addresses: ["$adv_ip"] }]
ports: [{ name: https, port: $metrics_port, protocol: TCP }]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: v1beta1.metrics.k8s.io }
spec:
  service: { name: metrics-server, namespace: kube-system, port: 443 }
  group: metrics.k8s.io
  version: v1beta1
  caBundle: $(base64 -w0 "$pki/ca.crt")
  groupPriorityMinimum: 100
  versionPriority: 100
EOF
	token_kubeconfig kube-system metrics-server "$dir/metrics-server.kubeconfig"
	start metrics-server "$bin/metrics-server" \
		--kubeconfig "$dir/metrics-server.kubeconfig" \
		--authentication-kubeconfig "$dir/metrics-server.kubeconfig" --authorization-kubeconfig "$dir/metrics-server.kubeconfig" \
		--bind-address "$adv_ip" --secure-port "$metrics_port" \
		--tls-cert-file "$pki/metrics-server.crt" --tls-private-key-file "$pki/metrics-server.key" \
		--kubelet-preferred-address-types InternalIP --kubelet-use-node-status-port \
		--kubelet-certificate-authority "$pki/ca.crt" --metric-resolution 15s
	wait_for metrics-server 120 kubectl_ get --raw /apis/metrics.k8s.io/v1beta1/nodes
}

# Traefik as K3s runs it, reading Ingresses and traefik.io objects from the API
# server with its ServiceAccount's token (its Kubernetes providers take no client
# certificate), its entry points on the advertised address. The token and the
# static config that holds it are 0600 files.
start_traefik() {
	running traefik && return 0
	local token
	token="$(kubectl_ -n default create token traefik-ingress-controller --duration=720h)"
	(
		umask 077
		cat >"$dir/traefik.yaml" <<EOF
entryPoints:
  web: { address: "$adv_ip:80" }
  websecure: { address: "$adv_ip:443", http: { tls: {} } }
ping: { entryPoint: web }
providers:
  kubernetesCRD:
    endpoint: https://127.0.0.1:$api_port
    certAuthFilePath: $pki/ca.crt
    token: $token
  kubernetesIngress:
    endpoint: https://127.0.0.1:$api_port
    certAuthFilePath: $pki/ca.crt
    token: $token
    ingressEndpoint: { ip: $adv_ip }
log: { level: INFO }
EOF
	)
	start traefik "$bin/traefik" --configFile="$dir/traefik.yaml"
	wait_for traefik 60 curl -sf --max-time 2 "http://$adv_ip/ping"
}

stop() { # name
	local pid i
	pid="$(cat "$dir/$1.pid" 2>/dev/null)" || return 0
	if kill -0 "$pid" 2>/dev/null; then
		log "stopping $1"
		kill "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/$1.pid"
}

down() {
	local i
	for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do stop "${daemons[i]}"; done
	if ip link show "$adv_if" >/dev/null 2>&1; then ip link del "$adv_if"; fi
	if [[ "${1:-}" == --purge ]]; then
		rm -rf "$dir"
		log "purged $dir"
	fi
}

status() {
	local d rc=0
	for d in "${daemons[@]}"; do
		if running "$d"; then echo "$d: running (pid $(cat "$dir/$d.pid"))"; else echo "$d: stopped"; rc=1; fi
	done
	if [[ $rc -eq 0 ]]; then
		bin="${PICLUSTER_TOOLS_BIN:-$repo/.tools/bin}"
		kubectl_ get nodes
	fi
	return "$rc"
}

case "${1:-}" in
up) up "${2:-}" ;;
down) down "${2:-}" ;;
status) status ;;
*) die "usage: cluster.sh up [STACK] | down [--purge] | status" ;;
esac
