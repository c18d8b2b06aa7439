// Command loadgen is the open-loop HTTP load generator for this project's
// load-testing trials.
//
// The thesis these trials reproduce used Grafana k6. k6 is licensed under the
// AGPL, which this workplace does not allow, so loadgen reimplements the part
// of k6 the thesis used on top of the MIT-licensed vegeta library
// (github.com/tsenart/vegeta/v12): the ramping-arrival-rate executor
// (startRate, timeUnit, stages, preAllocatedVUs, maxVUs, gracefulStop, with
// arrivals dropped when all maxVUs are busy) and the base options
// insecureSkipTLSVerify, noConnectionReuse, discardResponseBodies,
// maxRedirects and the request timeout, plus an abort when the number of
// in-flight requests exceeds a threshold.
//
// Usage:
//
//	loadgen run --plan PLAN.json --out DIR
//	loadgen version
//
// Extra request headers come from LOADGEN_HEADERS (a JSON object of name to
// value); their values are never printed or written. Exit codes: 0 the run
// completed or was aborted on VUs, 1 I/O error, 2 bad usage, plan or
// LOADGEN_HEADERS, 130 stopped by SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is loadgen's own version; bump it when the outputs or the
// semantics change.
const version = "1"

const vegetaModule = "github.com/tsenart/vegeta/v12"

// VersionString is what `loadgen version` prints and summary.json records,
// e.g. "loadgen 1 (vegeta v12.13.0)".
func VersionString() string {
	v := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == vegetaModule {
				v = d.Version
				if d.Replace != nil {
					v = d.Replace.Version
				}
			}
		}
	}
	return fmt.Sprintf("loadgen %s (vegeta %s)", version, v)
}

const usage = `usage:
  loadgen run --plan PLAN.json --out DIR
  loadgen version
`

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

func cli(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "version", "--version":
		if len(args) != 1 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		fmt.Fprintln(stdout, VersionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "run":
		return runCmd(args[1:], stderr)
	default:
		fmt.Fprintf(stderr, "loadgen: unknown command %q\n%s", args[0], usage)
		return 2
	}
}

func runCmd(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	planPath := fs.String("plan", "", "plan file (JSON)")
	outDir := fs.String("out", "", "output directory (created if missing)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *planPath == "" || *outDir == "" || fs.NArg() != 0 {
		fmt.Fprint(stderr, "loadgen: run needs --plan and --out and nothing else\n"+usage)
		return 2
	}
	f, err := os.Open(*planPath)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 2
	}
	plan, err := ParsePlan(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %s: %v\n", *planPath, err)
		return 2
	}
	headers, err := ParseHeaders(os.Getenv("LOADGEN_HEADERS"))
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 2
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	_, code := Run(plan, headers, *outDir, sigs, stderr)
	return code
}
