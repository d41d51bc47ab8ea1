// Package stepoutput reads the outputs a step wrote to its GITHUB_OUTPUT
// file, as the runner would: the demo reports them and the end-to-end tests
// check them.
package stepoutput

import (
	"bufio"
	"os"
	"strings"
)

// Read parses the GITHUB_OUTPUT file at path (name=value lines and
// name<<DELIM heredocs). A missing or unreadable file has no outputs.
func Read(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}
