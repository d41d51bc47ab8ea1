package memlimit

import (
	"runtime/debug"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"", Default, false},
		{"off", 0, false},
		{"OFF", 0, false},
		{"0", 0, false},
		{"128MiB", 128 << 20, false},
		{"256mib", 256 << 20, false},
		{"1GiB", 1 << 30, false},
		{" 200MB ", 200e6, false},
		{"100000000", 100000000, false},
		{"65536KiB", 64 << 20, false},
		{"1MiB", 0, true},
		{"-5MiB", 0, true},
		{"lots", 0, true},
		{"12.5MiB", 0, true},
		{"9999999999TiB", 0, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestApply changes the process's memory limit, so it restores it and does
// not run in parallel.
func TestApply(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	if got := Apply(Default, env(nil)); got != (Decision{Default, "setting"}) || debug.SetMemoryLimit(-1) != Default {
		t.Errorf("Apply(Default) = %+v, runtime limit %d", got, debug.SetMemoryLimit(-1))
	}
	debug.SetMemoryLimit(old)
	if got := Apply(0, env(nil)); got.Source != "off" || debug.SetMemoryLimit(-1) != old {
		t.Errorf("Apply(0) = %+v, runtime limit changed to %d", got, debug.SetMemoryLimit(-1))
	}
	if got := Apply(Default, env(map[string]string{"GOMEMLIMIT": "100MiB"})); got.Source != "GOMEMLIMIT" || debug.SetMemoryLimit(-1) != old {
		t.Errorf("Apply with GOMEMLIMIT = %+v, runtime limit changed to %d", got, debug.SetMemoryLimit(-1))
	}
}
