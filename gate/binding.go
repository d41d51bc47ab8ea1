package gate

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
	"strings"
)

// EnvVar is one environment variable the command reads, as the runner had it
// when the request was made. Reviewers see Value; a secret's value never
// leaves the runner, only its SecretHash.
type EnvVar struct {
	Name   string `json:"name"`
	Value  string `json:"value,omitempty"`
	Secret bool   `json:"secret,omitempty"` // Value is empty; Hash stands for it
	Hash   string `json:"hash,omitempty"`   // SecretHash of the value (secrets only)
	Unset  bool   `json:"unset,omitempty"`  // not set at all (unlike set to "")
}

// File is one repository file the command executes directly (`./x.sh`,
// `bash x.sh`, `sh -c ./x`), with the git blob SHA of the runner's copy. The
// App checks it against the run's commit on GitHub.
type File struct {
	Path    string `json:"path"`     // relative to the workspace, with slashes
	BlobSHA string `json:"blob_sha"` // git blob id (SHA-1) of the runner's copy
	// InRepo is set by the App: the file exists at the run's commit with
	// this blob. False: not in the repository (generated or downloaded);
	// then only its content hash is bound and reviewers cannot read it.
	InRepo bool `json:"in_repo,omitempty"`
}

// Binding is everything an approval is given for (DESIGN.md invariant 4):
// the exact command, the shell template that runs it, the working
// directory, the values of the variables it reads and the content of the
// repository files it executes. Its Hash is what the gate checks before it
// runs: anything different needs its own approval.
type Binding struct {
	Command          string
	ShellTemplate    string
	WorkingDirectory string
	Env              []EnvVar
	Files            []File
}

// Hash is the SHA-256 of the binding, each field length-prefixed so no two
// different bindings share an encoding. Env and Files are sorted by name
// and path first, so the order the runner found them in does not matter.
func (b Binding) Hash() string {
	h := sha256.New()
	h.Write([]byte("stepgate/v2\x00"))
	put := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(b.Command)
	put(b.ShellTemplate)
	put(b.WorkingDirectory)
	env := slices.Clone(b.Env)
	slices.SortFunc(env, func(x, y EnvVar) int { return strings.Compare(x.Name, y.Name) })
	put(strconv.Itoa(len(env)))
	for _, v := range env {
		put(v.Name)
		put(v.bound())
	}
	files := slices.Clone(b.Files)
	slices.SortFunc(files, func(x, y File) int { return strings.Compare(x.Path, y.Path) })
	put(strconv.Itoa(len(files)))
	for _, f := range files {
		put(f.Path)
		put(strings.ToLower(f.BlobSHA))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// bound is what of a variable enters the hash: unset, a secret's hash, or
// the value in clear.
func (v EnvVar) bound() string {
	switch {
	case v.Unset:
		return "unset"
	case v.Secret:
		return "secret:" + v.Hash
	}
	return "value:" + v.Value
}

// CommandHash binds a decision to a command with no variables or files:
// Binding{Command, shell template, working directory}.Hash(). A shell name
// ("bash", "sh", …) is resolved to its template first.
func CommandHash(command, shell, workingDirectory string) string {
	if sh, err := ResolveShell(shell); err == nil {
		shell = sh.Template
	}
	return Binding{Command: command, ShellTemplate: shell, WorkingDirectory: workingDirectory}.Hash()
}

// SecretIterations is the PBKDF2-SHA256 work factor of SecretHash.
const SecretIterations = 100_000

// SecretHash stands for a secret variable's value in the binding. It is
// salted with the repository id and the variable's name, so equal values in
// two repositories or two variables hash differently and no table of
// precomputed hashes applies, and stretched with PBKDF2-SHA256
// (SecretIterations rounds), so testing guesses against a hash read from the
// store or a check run costs 100,000 SHA-256 rounds each. A high-entropy
// secret (a token, a key) is out of reach; a short password is still only
// as strong as itself, so keep such values out of commands that need it.
func SecretHash(repoID, name, value string) string {
	salt := []byte("stepgate/env/v1\x00" + repoID + "\x00" + name)
	key, err := pbkdf2.Key(func() hash.Hash { return sha256.New() }, value, salt, SecretIterations, 32)
	if err != nil {
		// Only for parameters FIPS mode refuses; fall back to one round,
		// still salted, rather than binding nothing.
		sum := sha256.Sum256(append(salt, value...))
		return hex.EncodeToString(sum[:])
	}
	return hex.EncodeToString(key)
}

// GitBlobSHA is git's object id of a blob with this content, as the
// contents API reports it (`git hash-object`).
func GitBlobSHA(content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// RememberKey is the key of remembered and learned commands (DESIGN.md
// "Repeated safe commands"): the binding with the command in the canonical
// form policy matches on, so `kubectl get 'pods'` and `kubectl get pods`
// share an entry while a changed script, variable value, shell or working
// directory gets its own.
func RememberKey(canonicalCommand string, b Binding) string {
	b.Command = canonicalCommand
	return b.Hash()
}
