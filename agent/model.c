/* model.c: the model client; the only user of libcurl. */
#include "xtars/model.h"

#include <curl/curl.h>

const char *xtars_model_curl_version(void)
{
    return curl_version_info(CURLVERSION_NOW)->version;
}
