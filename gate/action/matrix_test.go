package action

import "testing"

// The action's job-index and matrix inputs (defaults ${{ strategy.job-index }}
// and ${{ toJSON(matrix) }}) reach the create body, the matrix without the
// layout toJSON adds, and nothing for a job without a matrix.
func TestMatrixInputs(t *testing.T) {
	in := map[string]string{"run": "./deploy.sh", "server": "https://sg.example", "job-index": "2",
		"matrix": "{\n  \"region\": \"eu\",\n  \"tier\": 1\n}"}
	c, err := ConfigFromInputs(func(k string) string { return in[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.JobIndex != "2" || compactMatrix(c.Matrix) != `{"region":"eu","tier":1}` {
		t.Errorf("job index %q matrix %q", c.JobIndex, compactMatrix(c.Matrix))
	}
	for _, none := range []string{"", "null", "{}", " null\n"} {
		if got := compactMatrix(none); got != "" {
			t.Errorf("compactMatrix(%q) = %q, want empty", none, got)
		}
	}
	f, err := ParseFlags([]string{"--server", "https://sg.example", "--job-index", "1", "--matrix", `{"a":1}`, "--", "true"}, func(string) string { return "" }, nil, nil)
	if err != nil || f.JobIndex != "1" || f.Matrix != `{"a":1}` {
		t.Errorf("flags: %+v %v", f, err)
	}
}
