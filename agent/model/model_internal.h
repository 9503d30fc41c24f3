/* model_internal.h: what xtars's own commands ask the model client beyond the
 * public include/xtars/model.h. Static strings only; nothing here loads
 * libcurl. */
#ifndef XTARS_MODEL_INTERNAL_H
#define XTARS_MODEL_INTERNAL_H

/* The libcurl version xtars was built against (LIBCURL_VERSION), known
 * without loading libcurl, which happens on first model use. */
const char *xtars_model_curl_built_version(void);

#endif
