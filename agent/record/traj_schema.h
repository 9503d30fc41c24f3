/* traj_schema.h: every key of run.json and of a steps.jsonl line
 * (docs/trajectory.md), spelled once. traj_write.c writes and traj_read.c
 * reads them only through these ids, so the two cannot drift; the unit test
 * test_traj_schema checks that every key is both written and read.
 *
 * Private to the record layer (and its tests). The keys of an action come
 * from agent/reply/action_json.h, those of "config" from the config table.
 */
#ifndef XTARS_TRAJ_SCHEMA_H
#define XTARS_TRAJ_SCHEMA_H

/* Where a key appears: in run.json, in a step line, or in both. */
#define TRAJ_IN_RUN 1
#define TRAJ_IN_STEP 2
#define TRAJ_IN_BOTH 3

/* KEY(id, name, where), in the order written. */
#define TRAJ_KEYS(KEY)                                   \
    KEY(FORMAT, "format", TRAJ_IN_RUN)                      \
    KEY(VERSION, "version", TRAJ_IN_RUN)                    \
    KEY(SOURCE, "source", TRAJ_IN_RUN)                      \
    KEY(REPLAY_OF, "replay_of", TRAJ_IN_RUN)                \
    KEY(IMPORTED_FROM, "imported_from", TRAJ_IN_RUN)        \
    KEY(XTARS_VERSION, "xtars_version", TRAJ_IN_RUN)        \
    KEY(RECORDER, "recorder", TRAJ_IN_RUN)                  \
    KEY(PID, "pid", TRAJ_IN_RUN)                            \
    KEY(HOST, "host", TRAJ_IN_RUN)                          \
    KEY(PID_NS, "pid_ns", TRAJ_IN_RUN)                      \
    KEY(INSTRUCTION, "instruction", TRAJ_IN_BOTH)           \
    KEY(MODEL, "model", TRAJ_IN_BOTH)                       \
    KEY(ENDPOINT, "endpoint", TRAJ_IN_RUN)                  \
    KEY(FAMILY, "family", TRAJ_IN_RUN)                      \
    KEY(DRY_RUN, "dry_run", TRAJ_IN_RUN)                    \
    KEY(SCREEN, "screen", TRAJ_IN_RUN)                      \
    KEY(TARGET, "target", TRAJ_IN_RUN)                      \
    KEY(X, "x", TRAJ_IN_RUN)                                \
    KEY(Y, "y", TRAJ_IN_RUN)                                \
    KEY(WIDTH, "width", TRAJ_IN_BOTH)                       \
    KEY(HEIGHT, "height", TRAJ_IN_BOTH)                     \
    KEY(SENT, "sent", TRAJ_IN_BOTH)                         \
    KEY(IMAGE_FORMAT, "image_format", TRAJ_IN_RUN)          \
    KEY(CONFIG, "config", TRAJ_IN_RUN)                      \
    KEY(STARTED_AT, "started_at", TRAJ_IN_BOTH)             \
    KEY(ENDED_AT, "ended_at", TRAJ_IN_RUN)                  \
    KEY(STATUS, "status", TRAJ_IN_RUN)                      \
    KEY(MESSAGE, "message", TRAJ_IN_RUN)                    \
    KEY(STEPS, "steps", TRAJ_IN_RUN)                        \
    KEY(USAGE, "usage", TRAJ_IN_RUN)                        \
    KEY(PROMPT_TOKENS, "prompt_tokens", TRAJ_IN_BOTH)       \
    KEY(COMPLETION_TOKENS, "completion_tokens", TRAJ_IN_BOTH)\
    KEY(STEP, "step", TRAJ_IN_STEP)                         \
    KEY(SCREENSHOT, "screenshot", TRAJ_IN_STEP)             \
    KEY(TIMINGS, "timings", TRAJ_IN_STEP)                   \
    KEY(CAPTURE_MS, "capture_ms", TRAJ_IN_STEP)             \
    KEY(ENCODE_MS, "encode_ms", TRAJ_IN_STEP)               \
    KEY(MODEL_MS, "model_ms", TRAJ_IN_STEP)                 \
    KEY(EXEC_MS, "exec_ms", TRAJ_IN_STEP)                   \
    KEY(SETTLE_MS, "settle_ms", TRAJ_IN_STEP)               \
    KEY(TOTAL_MS, "total_ms", TRAJ_IN_STEP)                 \
    KEY(LATENCY_MS, "latency_ms", TRAJ_IN_STEP)             \
    KEY(ATTEMPTS, "attempts", TRAJ_IN_STEP)                 \
    KEY(FINISH_REASON, "finish_reason", TRAJ_IN_STEP)       \
    KEY(REPLY, "reply", TRAJ_IN_STEP)                       \
    KEY(THOUGHT, "thought", TRAJ_IN_STEP)                   \
    KEY(REFLECTION, "reflection", TRAJ_IN_STEP)             \
    KEY(PARSE_ERROR, "parse_error", TRAJ_IN_STEP)           \
    KEY(ACTIONS, "actions", TRAJ_IN_STEP)                   \
    KEY(RESULTS, "results", TRAJ_IN_STEP)                   \
    KEY(OK, "ok", TRAJ_IN_STEP)                             \
    KEY(MS, "ms", TRAJ_IN_STEP)                             \
    KEY(ERROR, "error", TRAJ_IN_STEP)                       \
    KEY(SETTLED, "settled", TRAJ_IN_STEP)                   \
    KEY(SCREEN_CHANGED, "screen_changed", TRAJ_IN_STEP)     \
    KEY(NOTES, "notes", TRAJ_IN_STEP)                       \
    KEY(REPLAYABLE, "replayable", TRAJ_IN_STEP)             \
    KEY(SIMILARITY, "similarity", TRAJ_IN_STEP)             \
    KEY(RECORDED_STEP, "recorded_step", TRAJ_IN_STEP)       \
    KEY(SOURCE_ACTION, "source_action", TRAJ_IN_STEP)       \
    KEY(ORIGIN, "origin", TRAJ_IN_STEP)                     \
    KEY(JUDGE, "judge", TRAJ_IN_STEP)                       \
    KEY(REQUEST, "request", TRAJ_IN_STEP)                   \
    KEY(MODEL_REQUEST, "model_request", TRAJ_IN_STEP)       \
    KEY(CHECK, "check", TRAJ_IN_STEP)                       \
    KEY(COMMAND, "command", TRAJ_IN_STEP)                   \
    KEY(EXIT_STATUS, "exit_status", TRAJ_IN_STEP)           \
    KEY(OUTPUT, "output", TRAJ_IN_STEP)

enum traj_key {
#define TRAJ_KEY_ID(id, name, where) TRAJ_##id,
    TRAJ_KEYS(TRAJ_KEY_ID)
#undef TRAJ_KEY_ID
    TRAJ_KEY_COUNT
};

/* The key as written in the file. */
static inline const char *traj_key_name(enum traj_key key)
{
    static const char *const names[TRAJ_KEY_COUNT] = {
#define TRAJ_KEY_NAME(id, name, where) name,
        TRAJ_KEYS(TRAJ_KEY_NAME)
#undef TRAJ_KEY_NAME
    };
    return (unsigned)key < TRAJ_KEY_COUNT ? names[key] : "";
}

#endif
