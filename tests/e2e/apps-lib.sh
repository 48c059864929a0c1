# shellcheck shell=bash
# Shared by the e2e scripts that run the sample apps (examples/apps/): source it after lib.sh
# with `build` and `src` set. A publisher key made by `nx bundle keygen` and trusted by copying
# its .pub into bundlemgrd's trust dir, each app packed from its built binary and its
# examples/apps/<name>/ files into a signed bundle (examples/apps/pack.sh) and installed with
# `nx bundle install` (as tests/e2e/bundlemgrd.sh does by hand), and polling the journal.

apps_src=$src/examples/apps
apps_dir=$tmp/apps
apps_key=$apps_dir/publisher.key

# apps_trust: makes the publisher key and trusts it (bundlemgrd booted: its store exists).
apps_trust() {
	local key_id
	mkdir -p "$apps_dir"
	key_id=$("$nx" bundle keygen "$apps_key") || fail "apps: keygen"
	mkdir -p "$NEXUS_STATE_DIR/bundlemgrd/trust"
	cp "$apps_key.pub" "$NEXUS_STATE_DIR/bundlemgrd/trust/$key_id.pub"
	give_state bundlemgrd
}

# apps_pack NAME [ID [RESTART]]: $apps_dir/<ID>.nxb (examples/apps/pack.sh), under bundle id
# ID (default the manifest's) and restart policy RESTART when given. Prints the bundle's path.
apps_pack() {
	local name=$1 id=${2:-} restart=${3:-}
	id=${id:-$(awk -F' *= *' '$1 == "id" {print $2}' "$apps_src/$name/manifest.nxm")}
	"$apps_src/pack.sh" "$build" "$name" "$apps_key" "$apps_dir/$id.nxb" "$id" "$restart" ||
		fail "apps: pack $name as $id"
	echo "$apps_dir/$id.nxb"
}

# apps_install NAME [ID [RESTART]]: packs (apps_pack) and installs it.
apps_install() {
	local nxb
	nxb=$(apps_pack "$@") || exit 1
	"$nx" bundle install "$nxb" >/dev/null || fail "apps: install $nxb"
}

# poll_journal PYEXPR ARGS...: until `nx log query ARGS --json` satisfies PYEXPR, where d is
# the list of records (dicts: subject, scope, message, fields, ...). The last answer is in
# $tmp/journal.json. Bounded: 20 s.
poll_journal() {
	local expr=$1
	shift
	for _ in $(seq 200); do
		"$nx" log query "$@" --json >"$tmp/journal.json" 2>/dev/null &&
			python3 -c "import json,sys; d=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if ($expr) else 1)" \
				"$tmp/journal.json" && return 0
		sleep 0.1
	done
	return 1
}
