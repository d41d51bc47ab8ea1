package risk

// walkPending holds dangerous commands the risk rules would rate correctly
// but the shell walk (walk.go, exec.go, words.go) does not yet hand to them.
// They count in the corpus figures; TestWalkPending reports which of them
// pass, so a case moves to corpus_walk_test.go once the walk handles it.
// Empty since the walk peels parallel, chrt, strace, fakeroot, nsenter,
// systemd-run, screen/tmux, unshare, runuser, gdb --args, dotenv,
// nix-shell --run, uv/poetry/pipenv run, xargs … sh -c, $( ) inside $(( )),
// ${X:-/} defaults, dynamic command names and $'\x72\x6d' decoding.
var walkPending = []corpusCase{}
