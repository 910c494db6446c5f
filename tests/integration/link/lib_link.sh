# lib_link.sh - helpers for the gateway<->vaultd trust tests (sourced, never
# run). Builds on ../gateway/lib_gw.sh.
#
#   link_pki                 a client CA ($PKI/ca.crt) and link_client NAME
#   link_fp NAME             SHA-256 of NAME's certificate (hex)
#   link_as_gw CMD...        runs CMD as nobody:nogroup, the gateway's position
#                            on vaultd's socket (group nogroup, 0660)
#   link_wire ARGS...        vgwire.py against $VG_SOCK as nobody:nogroup
. "$VG_SRC/tests/integration/gateway/lib_gw.sh"

LINK_DIR=$VG_SRC/tests/integration/link
VGWIRE=$LINK_DIR/vgwire.py

link_pki() {
	PKI=$VG_WORK/pki
	mkdir -p "$PKI"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=vgt-$$-ca" -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
	chmod 644 "$PKI/ca.crt"
}

link_client() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$PKI/$1.key" -out "$PKI/$1.csr" 2>/dev/null
	printf 'extendedKeyUsage = clientAuth\n' >"$PKI/ext"
	openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
		-CAcreateserial -days 2 -extfile "$PKI/ext" -out "$PKI/$1.crt" 2>/dev/null
	cat "$PKI/$1.crt" "$PKI/$1.key" >"$PKI/$1.pem"
}

link_fp() { openssl x509 -in "$PKI/$1.crt" -outform DER | sha256sum | cut -d' ' -f1; }

link_as_gw() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

link_wire() { link_as_gw /usr/bin/python3 "$VGWIRE" "$VG_SOCK" "$@"; }

# link_secret NAME VALUE: a 0644 file under the work dir holding VALUE (for
# tokens the test hands to nobody's processes without putting them in argv).
link_secret() {
	printf '%s\n' "$2" >"$VG_WORK/$1"
	chmod 644 "$VG_WORK/$1"
	echo "$VG_WORK/$1"
}
