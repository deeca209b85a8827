/*
 * fuzz_ere.c - libFuzzer target for the DNS zone regexp dialect
 * (dns/dns_ere.c's check and translation, dns/dns_regex.h's matcher):
 * the input's first line is the pattern (API and -config text), the rest
 * a name to match. The translation must stay within its buffer and be
 * NUL-terminated; what it accepts the platform's matcher must compile
 * (or run out of memory); matching must end.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_ere.h"
#include "dns/dns_regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[DNS_ERE_OUT];
	char pat[DNS_ERE_MAX + 2], name[256], err[128];
	struct dns_regex *re = NULL;
	size_t plen = 0, nlen;
	int rc;

	while (plen < size && data[plen] != '\n' && plen < sizeof(pat) - 1)
		plen++;
	memcpy(pat, data, plen);
	pat[plen] = 0;
	nlen = size > plen + 1 ? size - plen - 1 : 0;
	if (nlen > sizeof(name) - 1)
		nlen = sizeof(name) - 1;
	if (nlen)
		memcpy(name, data + plen + 1, nlen);
	name[nlen] = 0;
	rc = dns_ere_translate(pat, out, sizeof(out), err, sizeof(err));
	if (rc == 0 && strlen(out) >= sizeof(out))
		abort();
	if (rc != 0 && rc != -EINVAL)
		abort(); /* DNS_ERE_OUT always suffices */
	rc = dns_regex_compile(&re, pat, err, sizeof(err));
	if (rc == 0) {
		(void)dns_regex_match(re, name);
		dns_regex_free(re);
	} else if (rc != -EINVAL && rc != -ENOMEM) {
		abort();
	}
	return 0;
}
