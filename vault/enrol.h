/* enrol.h - how often an agent's one-time registration token may be
 * guessed (agent.activate, which needs no credential and so faces the
 * network through vaultgw's POST /v1/agents/activate).
 *
 * Two counters of failed activations, in memory, over a sliding window of
 * VENROL_WINDOW seconds: one per source address (VENROL_PER_SOURCE) and one
 * per agent name (VENROL_PER_AGENT, which also stops a guesser spread over
 * many sources). While either is at its limit, every activation of that
 * agent or from that source is refused with VG_ELIMIT, even one that
 * carries the right token: a guesser learns nothing from trying. The
 * per-agent limit can be used to delay one agent's enrolment by someone who
 * knows its name; the operator sees an auth-bruteforce alert naming the
 * agent, and the delay ends with the window (or a new registration).
 *
 * A restart forgets the counters; the tokens are 256-bit, so the limits
 * are about noise and alerting, not the token's strength. */
#ifndef VAULT_ENROL_H
#define VAULT_ENROL_H

#include <stddef.h>
#include <stdint.h>

#define VENROL_WINDOW 900
#define VENROL_PER_AGENT 5
#define VENROL_PER_SOURCE 10

/* 0 if an activation of agent from source may be tried at now; VG_ELIMIT
 * otherwise, with why naming the limit and *retry the seconds left. */
int venrol_check(const char *source, const char *agent, uint64_t now, uint64_t *retry, char *why,
	size_t whysz);

/* Records one failed activation. Returns 1 when the agent's counter has
 * just reached its limit (raise the alert once), else 0. */
int venrol_failed(const char *source, const char *agent, uint64_t now);

#endif
