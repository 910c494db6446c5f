/* ctl_gw.h - what vaultctl knows of the gateway, for an agent's
 * credentials file: the endpoint agents reach and the fingerprint they pin.
 *
 * Both are read from vaultgw's configuration file (the one vaultgw runs
 * with, /etc/vaultgate/vaultgw.conf on the appliance):
 *   endpoint: "https://" + the first `listen` address (":443" left out);
 *   fingerprint: SHA-256 of the DER of the LAST certificate in the
 *     certificate file (`tls_cert`, or `tls_dir`/server.crt for the
 *     generated one): the self-signed certificate itself, or the top of a
 *     customer's chain as installed (its intermediate or root CA), so a
 *     renewed leaf under the same CA keeps agents' pins valid.
 * The fingerprint is printed as openssl does: 32 upper-case hex bytes
 * joined by ':'. */
#ifndef VAULT_CTL_GW_H
#define VAULT_CTL_GW_H

#include <stddef.h>

#define VCTL_GW_CONFIG "/etc/vaultgate/vaultgw.conf"
#define VCTL_FP_LEN (32 * 3)

/* 0, or an error with why naming the file and the problem. Either output
 * may be NULL. */
int vctl_gw_endpoint(const char *conf, char *url, size_t urlsz, char fp[VCTL_FP_LEN], char *why,
	size_t whysz);

/* The fingerprint of the last certificate in a PEM file. */
int vctl_cert_fingerprint(const char *pem, char fp[VCTL_FP_LEN], char *why, size_t whysz);

#endif
