/*
 * npipe.c - the parts of npipe.h that are the same everywhere.
 */
#include "net/npipe.h"

#include <strings.h>

bool npipe_skip_if_taken(const char *name)
{
	/* Windows names are case-insensitive */
	return !strcasecmp(name, "\\\\.\\pipe\\docker_engine");
}
