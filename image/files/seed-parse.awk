# seed-parse.awk - flattens the YAML subset of a NoCloud seed file (user-data
# or meta-data) into one "path=value" line per scalar:
#
#   hostname: vault1          ->  hostname=vault1
#   vaultgate:                
#     data_ip: 10.0.2.15      ->  vaultgate.data_ip=10.0.2.15
#     allow:
#       - 10.0.2.2/32         ->  vaultgate.allow[]=10.0.2.2/32
#   ssh_authorized_keys:
#     - ssh-ed25519 AAAA...   ->  ssh_authorized_keys[]=ssh-ed25519 AAAA...
#
# The subset: block mappings and block lists of plain or quoted scalars,
# indented with spaces; whole-line comments; blank lines. Anything else (tabs,
# flow style [..] {..}, multi-line scalars, anchors, documents) is refused
# with the line number: the reader never guesses. Values are printed as
# written (quotes removed); the caller validates each one.
function fail(msg) {
	printf "%s:%d: %s\n", FILENAME, NR, msg > "/dev/stderr"
	bad = 1
	exit 1
}
function unquote(v) {
	if (v ~ /^".*"$/ || v ~ /^'.*'$/)
		return substr(v, 2, length(v) - 2)
	if (v ~ /^["']/)
		fail("unterminated quote")
	if (v ~ /^[\[{&*!|>%@`]/)
		fail("unsupported YAML (flow style, anchor, tag or block scalar): " v)
	return v
}
function path(   p, i) {
	p = ""
	for (i = 1; i <= depth; i++)
		p = p (i > 1 ? "." : "") key[i]
	return p
}
BEGIN { depth = 0 }
{
	sub(/\r$/, "")
	if ($0 ~ /\t/)
		fail("tab character (indent with spaces)")
	if ($0 ~ /^ *(#.*)?$/)
		next
	if (NR == 1 && $0 ~ /^---/)
		next
	match($0, /^ */)
	ind = RLENGTH
	line = substr($0, ind + 1)
	while (depth > 0 && indent[depth] >= ind)
		depth--
	if (line ~ /^- /) {
		if (depth == 0)
			fail("list item outside a key")
		print path() "[]=" unquote(substr(line, 3))
		next
	}
	if (line !~ /^[A-Za-z0-9_.-]+:( |$)/)
		fail("expected \"key: value\", \"key:\" or \"- item\"")
	k = line
	sub(/:.*/, "", k)
	v = line
	sub(/^[^:]*: */, "", v)
	if (v == "") {
		depth++
		key[depth] = k
		indent[depth] = ind
		next
	}
	print (depth ? path() "." : "") k "=" unquote(v)
}
