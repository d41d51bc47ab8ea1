package stepoutput

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want map[string]string
	}{
		{
			name: "lines and heredocs",
			data: "status=approved\napproved-by<<EOF_1\nbob\nEOF_1\nexit-code=0\n",
			want: map[string]string{"status": "approved", "approved-by": "bob", "exit-code": "0"},
		},
		{
			name: "multi-line heredoc",
			data: "summary<<ghadelim_x\nline one\nline=two\nghadelim_x\n",
			want: map[string]string{"summary": "line one\nline=two"},
		},
		{
			name: "value containing <<",
			data: "cmd=cat <<EOF\n",
			want: map[string]string{"cmd": "cat <<EOF"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "out")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, Read(path)); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	t.Parallel()
	got := Read(filepath.Join(t.TempDir(), "absent"))
	if len(got) != 0 {
		t.Errorf("Read of a missing file = %v, want no outputs", got)
	}
}
