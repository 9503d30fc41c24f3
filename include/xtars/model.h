/* xtars/model.h: the model client (OpenAI-compatible chat completions over
 * HTTP). The only module that uses libcurl; no curl type appears here. */
#ifndef XTARS_MODEL_H
#define XTARS_MODEL_H

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the libcurl this process runs with (static string). */
const char *xtars_model_curl_version(void);

#ifdef __cplusplus
}
#endif
#endif
