/*
 * fuzz_config.c - libFuzzer target for the YAML configuration reader.
 */
#include <stddef.h>
#include <stdint.h>

#include "cmd/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[256];

	if (config_parse((const char *)data, size, &c, err, sizeof(err)) == 0)
		config_free(&c);
	return 0;
}
