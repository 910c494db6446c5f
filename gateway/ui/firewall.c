/* firewall.c - the private endpoint's firewall (to come in this branch). */
#include "ui_int.h"

void ui_page_firewall(struct ui_ctx *u)
{
	ui_begin(u, "Firewall", UI_N_FIREWALL);
	ui_raw(&u->b, "<p class=\"muted\">Not yet.</p>\n");
	ui_end(u);
}
