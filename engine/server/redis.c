#include "server/server_int.h"
int srv_store_redis_new(srv_store **out, const char *url, double threshold, unsigned int ttl_seconds,
                        srv_store *fallback)
{
    (void)out; (void)url; (void)threshold; (void)ttl_seconds; (void)fallback;
    return cred__error(CRED_EINVAL, "redis store: not built yet");
}
