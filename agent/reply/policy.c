/* policy.c: the fail-closed action policy. Untrusted model output meets the
 * user's rules here; anything that cannot be parsed or compiled is an error
 * at load time, so a run never starts with a policy that silently does less
 * than its file says. Command rules run on what agent/reply/shell.c makes of
 * the typed text, never on the raw text. Never prints. */
#include "agent/reply/policy.h"

#include <cjson/cJSON.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xtars/buf.h"
#include "agent/reply/keys.h"
#include "agent/reply/shell.h"

#define MAX_RULES 256
#define POLICY_FILE_MAX (1 << 20)
#define SHELL_LIST_MAX 8       /* entries of "options" / "args" */
#define ALTERNATIVES_MAX 2048  /* bytes of one "a|b|c" value */

struct rule {
    enum xtars_policy_effect effect;
    unsigned types;                 /* bit per enum xtars_action_type; 0 = any */
    int key_count;                  /* hotkey combination to match, order-insensitive */
    char keys[XTARS_ACTION_MAX_KEYS][XTARS_KEY_NAME_LEN];
    int has_text;
    regex_t text;                   /* matched against typed / finished content */
    int has_region;
    struct xtars_rect region;
    int outside_bounds;
    /* command conditions, on the shell analysis of the text (docs/policy.md);
     * strings are '|'-separated alternatives, owned by the rule */
    char *command, *redirect, *via;
    char *options[SHELL_LIST_MAX], *args[SHELL_LIST_MAX];
    int option_count, arg_count;
    int piped, generated;        /* of the same command */
    int obfuscated, fork_bomb;   /* of the whole line */
    char reason[200];
};

struct xtars_policy {
    struct rule rules[MAX_RULES];
    int count;
};

/* The shipped policy, in the same format users write (docs/policy.md). The
 * command rules are checked on the shell analysis of the typed text. */
static const char default_policy[] =
    "{\"rules\": ["
    "{\"effect\": \"confirm\", \"types\": [\"hotkey\"], \"keys\": \"ctrl alt delete\","
    " \"reason\": \"ctrl+alt+delete can log out or reboot\"},"
    "{\"effect\": \"confirm\", \"types\": [\"hotkey\"], \"keys\": \"ctrl alt backspace\","
    " \"reason\": \"ctrl+alt+backspace can kill the X server\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"obfuscated\": true,"
    " \"reason\": \"a command whose name is computed (substitution, variable) or text too long or nested to check\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"fork_bomb\": true,"
    " \"reason\": \"fork bomb\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"via\": \"sudo|doas|pkexec|run0\","
    " \"reason\": \"privilege change\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"sudo|su|doas|pkexec|run0\","
    " \"reason\": \"privilege change\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"rm\", \"options\": [\"r|R|recursive\", \"f|force\"],"
    " \"reason\": \"recursive forced rm\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"rm\", \"options\": [\"r|R|recursive\"], \"args\": [\"/*|~|~/*|..|../*\"],"
    " \"reason\": \"recursive rm outside the working directory\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"rm\", \"options\": [\"r|R|recursive\"], \"generated\": true,"
    " \"reason\": \"recursive rm of a computed path\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"find\", \"args\": [\"-delete\"],"
    " \"reason\": \"find -delete\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"rm|shred|unlink|truncate\", \"via\": \"find\","
    " \"reason\": \"find -exec rm\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"shred|wipefs|wipe|srm|blkdiscard\","
    " \"reason\": \"destroys data beyond recovery\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"mkfs|mkfs.*|mke2fs|mkswap|mkdosfs|mkntfs|fdisk|sfdisk|cfdisk|parted|gdisk|sgdisk\","
    " \"reason\": \"formats or partitions a disk\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"dd\", \"args\": [\"of=*\"],"
    " \"reason\": \"dd writing to a file or device\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"redirect\": \"/dev/sd*|/dev/hd*|/dev/vd*|/dev/xvd*|/dev/nvme*|/dev/mmcblk*|/dev/dm-*|/dev/md*|/dev/mapper/*|/dev/disk/*|/dev/loop*|/dev/sr*|/dev/mem|/dev/kmem|/dev/port\","
    " \"reason\": \"writes to a block device\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"tee|cp|mv|install|rsync\", \"args\": [\"/dev/sd*|/dev/hd*|/dev/vd*|/dev/xvd*|/dev/nvme*|/dev/mmcblk*|/dev/dm-*|/dev/md*|/dev/mapper/*|/dev/disk/*|/dev/loop*|/dev/sr*|/dev/mem|/dev/kmem|/dev/port\"],"
    " \"reason\": \"writes to a block device\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"chmod|chown|chgrp|setfacl\", \"options\": [\"R|recursive\"], \"args\": [\"/|/bin|/bin/*|/boot|/boot/*|/dev|/dev/*|/etc|/etc/*|/home|/lib|/lib/*|/lib32|/lib32/*|/lib64|/lib64/*|/opt|/opt/*|/proc|/proc/*|/root|/root/*|/run|/run/*|/sbin|/sbin/*|/srv|/srv/*|/sys|/sys/*|/usr|/usr/*|/var|/var/*|/[*]|~|~/\"],"
    " \"reason\": \"recursive chmod/chown on a system path\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"sh|bash|dash|zsh|ksh|mksh|ash|yash|posh|fish|csh|tcsh|rbash\", \"piped\": true,"
    " \"reason\": \"runs code piped into a shell\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"], \"command\": \"sh|bash|dash|zsh|ksh|mksh|ash|yash|posh|fish|csh|tcsh|rbash|eval|source|.\", \"generated\": true,"
    " \"reason\": \"runs generated code in a shell\"},"
    "{\"effect\": \"confirm\", \"types\": [\"type\"],"
    " \"text\": \"sk-[[:alnum:]_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[[:alnum:]]{30,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|xox[baprs]-[[:alnum:]-]{10,}\","
    " \"reason\": \"text that looks like a secret\"}"
    "]}";

static const char *const effect_names[] = {"allow", "confirm", "deny"};

const char *xtars_policy_effect_name(enum xtars_policy_effect effect)
{
    return (unsigned)effect <= XTARS_POLICY_DENY ? effect_names[effect] : "?";
}

void xtars_policy_free(struct xtars_policy *policy)
{
    if (policy == NULL)
        return;
    for (int i = 0; i < policy->count; i++) {
        struct rule *r = &policy->rules[i];
        if (r->has_text)
            regfree(&r->text);
        free(r->command);
        free(r->redirect);
        free(r->via);
        for (int k = 0; k < r->option_count; k++)
            free(r->options[k]);
        for (int k = 0; k < r->arg_count; k++)
            free(r->args[k]);
    }
    free(policy);
}

int xtars_policy_rule_count(const struct xtars_policy *policy) { return policy->count; }

xtars_err xtars_policy_new_empty(struct xtars_policy **out, char *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? XTARS_OK : xtars_error(err, XTARS_ENOMEM, "policy: out of memory");
}

static xtars_err parse_effect(const cJSON *item, struct rule *r, const char *where, char *err)
{
    for (int i = 0; cJSON_IsString(item) && i <= XTARS_POLICY_DENY; i++) {
        if (strcmp(item->valuestring, effect_names[i]) == 0) {
            r->effect = (enum xtars_policy_effect)i;
            return XTARS_OK;
        }
    }
    return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'effect' must be allow, confirm or deny",
                       where);
}

static xtars_err parse_types(const cJSON *item, struct rule *r, const char *where, char *err)
{
    const cJSON *t;

    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) == 0)
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'types' must be a non-empty array",
                           where);
    cJSON_ArrayForEach(t, item) {
        enum xtars_action_type type;
        if (!cJSON_IsString(t) || xtars_action_type_from_name(t->valuestring, &type) != XTARS_OK)
            return xtars_error(err, XTARS_ECONFIG, "policy: %s: unknown action type '%.40s'",
                               where, cJSON_IsString(t) ? t->valuestring : "?");
        r->types |= 1u << type;
    }
    return XTARS_OK;
}

static xtars_err parse_keys(const cJSON *item, struct rule *r, const char *where, char *err)
{
    const char *s;

    if (!cJSON_IsString(item))
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'keys' must be a string", where);
    s = item->valuestring;
    while (*s) {
        size_t len = strcspn(s, " +");
        if (len > 0) {
            if (r->key_count == XTARS_ACTION_MAX_KEYS)
                return xtars_error(err, XTARS_ECONFIG, "policy: %s: too many keys", where);
            if (xtars_key_canonical(s, len, r->keys[r->key_count]) != XTARS_OK)
                return xtars_error(err, XTARS_ECONFIG, "policy: %s: unknown key '%.*s'", where,
                                   (int)(len > 40 ? 40 : len), s);
            r->key_count++;
        }
        s += len;
        s += strspn(s, " +");
    }
    if (r->key_count == 0)
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'keys' is empty", where);
    return XTARS_OK;
}

/* ---- regular expressions: bounded before glibc sees them ----
 * glibc's regcomp() copies a repeated part once per repetition ("x{50}" is
 * fifty copies, "x+" two) and repetitions nest, so a short pattern such as
 * ".*+++...+" or "((x{99}){99}){99}" asks for memory exponential in its
 * length; and the time it spends on each copy grows with how deeply
 * repetitions of things that can match nothing are nested (".*" under eight
 * "+" takes 0.2 s, under eleven over 10 s). Patterns are therefore sized
 * first, the way regcomp() expands them, and refused above
 * PATTERN_MAX_PARTS parts, PATTERN_MAX_REPEAT_DEPTH nested repetitions,
 * PATTERN_MAX_BYTES bytes or PATTERN_MAX_DEPTH nested groups. At those
 * limits the worst pattern compiles in about 20 ms. Back-references are
 * refused too: matching them against model-written text can take
 * exponential time. */

#define PATTERN_MAX_BYTES 1024
#define PATTERN_MAX_PARTS 1000.0
#define PATTERN_MAX_REPEAT_DEPTH 3
#define PATTERN_MAX_DEPTH 32

struct pattern_group {
    double sum;      /* expanded size of the group so far */
    double last;     /* size of its last atom (what a quantifier repeats) */
    int last_depth;  /* repetitions nested in its last atom */
    int max_depth;   /* repetitions nested anywhere in the group */
};

static void pattern_atom(struct pattern_group *g, double size, int depth)
{
    g->last = size;
    g->sum += size;
    g->last_depth = depth;
    if (depth > g->max_depth)
        g->max_depth = depth;
}

/* Reads a decimal count at p[*n] (capped, so no overflow); -1 if none. */
static long pattern_count(const char *p, size_t *n)
{
    long v = -1;

    for (; p[*n] >= '0' && p[*n] <= '9'; (*n)++)
        v = (v < 0 ? 0 : v > 1000000 ? 1000000 : v * 10) + (p[*n] - '0');
    return v;
}

/* Repeats the last atom: "*" and "?" keep one copy, "+" two, "{m}" and
 * "{m,n}" max(m,n), "{m,}" m+1 (at least one). *p points at the quantifier;
 * returns its length, 0 if it is not one ("{" without a count is an ordinary
 * character). */
static size_t pattern_quantifier(const char *p, struct pattern_group *g)
{
    double factor = 1;
    size_t n = 1;

    if (*p == '+') {
        factor = 2;
    } else if (*p == '{') {
        long lo = pattern_count(p, &n), hi = lo;
        if (p[n] == ',') {
            n++;
            hi = pattern_count(p, &n);
            if (hi < 0)
                hi = (lo < 0 ? 0 : lo) + 1;
        }
        if (p[n] != '}' || (lo < 0 && hi < 0))
            return 0;
        n++;
        factor = hi > 1 ? (double)hi : lo > 1 ? (double)lo : 1;
    } else if (*p != '*' && *p != '?') {
        return 0;
    }
    g->sum += g->last * (factor - 1);
    g->last *= factor;
    if (++g->last_depth > g->max_depth)
        g->max_depth = g->last_depth;
    return n;
}

/* Length of the bracket expression at p ("[...]"), 0 if unterminated. */
static size_t pattern_bracket(const char *p)
{
    size_t n = 1;

    if (p[n] == '^')
        n++;
    if (p[n] == ']')
        n++;
    for (; p[n] && p[n] != ']'; n++)
        if (p[n] == '[' && (p[n + 1] == ':' || p[n + 1] == '.' || p[n + 1] == '=')) {
            const char *close = strstr(p + n + 2, (char[]){p[n + 1], ']', '\0'});
            if (close == NULL)
                return 0;
            n = (size_t)(close - p) + 1;
        }
    return p[n] == ']' ? n + 1 : 0;
}

static xtars_err pattern_check(const char *p, const char *where, char *err)
{
    struct pattern_group stack[PATTERN_MAX_DEPTH + 1];
    int depth = 0;

    memset(stack, 0, sizeof stack);
    if (strlen(p) > PATTERN_MAX_BYTES)
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'text' is longer than %d bytes", where,
                           PATTERN_MAX_BYTES);
    while (*p) {
        size_t n = pattern_quantifier(p, &stack[depth]);
        if (n == 0 && *p == '(') {
            if (depth == PATTERN_MAX_DEPTH)
                return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'text' nests more than %d "
                                   "groups", where, PATTERN_MAX_DEPTH);
            memset(&stack[++depth], 0, sizeof stack[0]);
            n = 1;
        } else if (n == 0 && *p == ')' && depth > 0) {
            depth--;
            pattern_atom(&stack[depth], stack[depth + 1].sum + 1, stack[depth + 1].max_depth);
            n = 1;
        } else if (n == 0 && *p == '[') {
            n = pattern_bracket(p);
            pattern_atom(&stack[depth], 1, 0);
            if (n == 0)
                break; /* regcomp() reports the unterminated bracket */
        } else if (n == 0 && *p == '\\' && p[1] >= '1' && p[1] <= '9') {
            return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'text' uses a back-reference "
                               "(\\%c), which policies do not allow", where, p[1]);
        } else if (n == 0) {
            n = *p == '\\' && p[1] ? 2 : 1;
            pattern_atom(&stack[depth], 1, 0);
        }
        if (stack[depth].max_depth > PATTERN_MAX_REPEAT_DEPTH)
            return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'text' nests repetitions more than "
                               "%d deep", where, PATTERN_MAX_REPEAT_DEPTH);
        if (stack[depth].sum > PATTERN_MAX_PARTS)
            return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'text' repeats too much (it "
                               "would expand to more than %.0f parts)", where, PATTERN_MAX_PARTS);
        p += n;
    }
    return XTARS_OK;
}

static xtars_err parse_text(const cJSON *item, struct rule *r, const char *where, char *err)
{
    char message[160];
    int rc;

    if (!cJSON_IsString(item))
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'text' must be a string", where);
    if (pattern_check(item->valuestring, where, err) != XTARS_OK)
        return XTARS_ECONFIG;
    rc = regcomp(&r->text, item->valuestring, REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc != 0) {
        regerror(rc, &r->text, message, sizeof message);
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: bad regular expression: %s", where,
                           message);
    }
    r->has_text = 1;
    return XTARS_OK;
}

static xtars_err parse_region(const cJSON *item, struct rule *r, const char *where, char *err)
{
    const char *names[] = {"x", "y", "width", "height"};
    int values[4];

    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, names[i]);
        if (!cJSON_IsNumber(v) || v->valuedouble < -100000 || v->valuedouble > 100000)
            return xtars_error(err, XTARS_ECONFIG,
                               "policy: %s: 'region' needs numbers x, y, width, height", where);
        values[i] = (int)v->valuedouble;
    }
    r->region = (struct xtars_rect){values[0], values[1], values[2], values[3]};
    r->has_region = 1;
    return XTARS_OK;
}

/* "a|b|c": non-empty alternatives, each short enough to be compared. */
static xtars_err parse_alternatives(const cJSON *item, char **out, const char *where, char *err)
{
    const char *s = cJSON_IsString(item) ? item->valuestring : NULL;

    if (s == NULL || *s == '\0' || strlen(s) > ALTERNATIVES_MAX)
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: '%s' must be a non-empty string of "
                           "alternatives separated by '|'", where, item->string);
    for (const char *alt = s; *alt;) {
        size_t n = strcspn(alt, "|");
        if (n == 0 || n > XTARS_SHELL_ALT_MAX)
            return xtars_error(err, XTARS_ECONFIG, "policy: %s: '%s' has an alternative that is "
                               "empty or longer than %d bytes", where, item->string,
                               XTARS_SHELL_ALT_MAX);
        alt += n + (alt[n] == '|');
        if (alt[-1] == '|' && *alt == '\0')
            return xtars_error(err, XTARS_ECONFIG, "policy: %s: '%s' ends with '|'", where,
                               item->string);
    }
    if ((*out = strdup(s)) == NULL)
        return xtars_error(err, XTARS_ENOMEM, "policy: out of memory");
    return XTARS_OK;
}

/* "options" / "args": an array of alternatives, every entry must hold. */
static xtars_err parse_alternatives_list(const cJSON *item, char **list, int *count,
                                         const char *where, char *err)
{
    const cJSON *entry;
    xtars_err rc;

    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) == 0 ||
        cJSON_GetArraySize(item) > SHELL_LIST_MAX)
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: '%s' must be an array of 1 to %d "
                           "strings", where, item->string, SHELL_LIST_MAX);
    cJSON_ArrayForEach(entry, item) {
        cJSON named = *entry;
        named.string = item->string; /* messages name the key */
        if ((rc = parse_alternatives(&named, &list[*count], where, err)) != XTARS_OK)
            return rc;
        (*count)++;
    }
    return XTARS_OK;
}

static xtars_err parse_bool(const cJSON *item, int *out, const char *where, char *err)
{
    if (!cJSON_IsBool(item))
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: '%s' must be true or false", where,
                           item->string);
    *out = cJSON_IsTrue(item);
    return XTARS_OK;
}

static xtars_err parse_shell_member(const cJSON *item, struct rule *r, const char *where,
                                    char *err, int *known)
{
    const char *key = item->string;

    *known = 1;
    if (strcmp(key, "command") == 0)
        return parse_alternatives(item, &r->command, where, err);
    if (strcmp(key, "redirect") == 0)
        return parse_alternatives(item, &r->redirect, where, err);
    if (strcmp(key, "via") == 0)
        return parse_alternatives(item, &r->via, where, err);
    if (strcmp(key, "options") == 0)
        return parse_alternatives_list(item, r->options, &r->option_count, where, err);
    if (strcmp(key, "args") == 0)
        return parse_alternatives_list(item, r->args, &r->arg_count, where, err);
    if (strcmp(key, "piped") == 0)
        return parse_bool(item, &r->piped, where, err);
    if (strcmp(key, "generated") == 0)
        return parse_bool(item, &r->generated, where, err);
    if (strcmp(key, "obfuscated") == 0)
        return parse_bool(item, &r->obfuscated, where, err);
    if (strcmp(key, "fork_bomb") == 0)
        return parse_bool(item, &r->fork_bomb, where, err);
    *known = 0;
    return XTARS_OK;
}

static xtars_err parse_member(const cJSON *item, struct rule *r, const char *where, char *err)
{
    const char *key = item->string;
    int known;
    xtars_err rc = parse_shell_member(item, r, where, err, &known);

    if (known)
        return rc;
    if (strcmp(key, "effect") == 0)
        return parse_effect(item, r, where, err);
    if (strcmp(key, "types") == 0)
        return parse_types(item, r, where, err);
    if (strcmp(key, "keys") == 0)
        return parse_keys(item, r, where, err);
    if (strcmp(key, "text") == 0)
        return parse_text(item, r, where, err);
    if (strcmp(key, "region") == 0)
        return parse_region(item, r, where, err);
    if (strcmp(key, "outside_bounds") == 0)
        return parse_bool(item, &r->outside_bounds, where, err);
    if (strcmp(key, "reason") == 0) {
        if (!cJSON_IsString(item))
            return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'reason' must be a string", where);
        snprintf(r->reason, sizeof r->reason, "%s", item->valuestring);
        return XTARS_OK;
    }
    return xtars_error(err, XTARS_ECONFIG, "policy: %s: unknown key '%.40s'", where, key);
}

static xtars_err parse_rule(const cJSON *obj, struct rule *r, const char *where, char *err)
{
    const cJSON *item;
    int has_effect = 0;
    xtars_err rc;

    if (!cJSON_IsObject(obj))
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: a rule must be an object", where);
    cJSON_ArrayForEach(item, obj) {
        /* A key given twice is ambiguous (and would compile a second regex
         * over the first): refuse it rather than guess which one was meant. */
        for (const cJSON *seen = obj->child; seen != item; seen = seen->next)
            if (strcmp(seen->string, item->string) == 0)
                return xtars_error(err, XTARS_ECONFIG, "policy: %s: '%.40s' is given twice", where,
                                   item->string);
        if ((rc = parse_member(item, r, where, err)) != XTARS_OK)
            return rc;
        has_effect |= strcmp(item->string, "effect") == 0;
    }
    if (!has_effect)
        return xtars_error(err, XTARS_ECONFIG, "policy: %s: 'effect' is required", where);
    if (r->reason[0] == '\0')
        snprintf(r->reason, sizeof r->reason, "policy rule %.180s", where);
    return XTARS_OK;
}

xtars_err xtars_policy_parse(const char *name, const char *text, size_t len,
                             struct xtars_policy **out, char *err)
{
    struct xtars_policy *p = NULL;
    cJSON *root = cJSON_ParseWithLength(text, len), *rules, *item;
    char where[300];
    xtars_err rc = XTARS_OK;

    *out = NULL;
    rules = cJSON_GetObjectItemCaseSensitive(root, "rules");
    if (root == NULL || !cJSON_IsObject(root) || !cJSON_IsArray(rules) ||
        cJSON_GetArraySize(root) != 1) {
        rc = xtars_error(err, XTARS_ECONFIG,
                         "policy: %s: must be a JSON object with one key, \"rules\" (an array)", name);
        goto out;
    }
    if (cJSON_GetArraySize(rules) > MAX_RULES) {
        rc = xtars_error(err, XTARS_ECONFIG, "policy: %s: more than %d rules", name, MAX_RULES);
        goto out;
    }
    if ((rc = xtars_policy_new_empty(&p, err)) != XTARS_OK)
        goto out;
    cJSON_ArrayForEach(item, rules) {
        snprintf(where, sizeof where, "%s: rules[%d]", name, p->count);
        rc = parse_rule(item, &p->rules[p->count], where, err);
        p->count++; /* counted even on failure so free() releases its regex */
        if (rc != XTARS_OK)
            goto out;
    }
out:
    cJSON_Delete(root);
    if (rc != XTARS_OK)
        xtars_policy_free(p);
    else
        *out = p;
    return rc;
}

xtars_err xtars_policy_load(const char *path, struct xtars_policy **out, char *err)
{
    struct xtars_buf text;
    char reason[XTARS_ERRLEN];
    xtars_err rc;

    *out = NULL;
    rc = xtars_buf_read_file(&text, path, POLICY_FILE_MAX, reason);
    if (rc != XTARS_OK)
        return xtars_error(err, XTARS_ECONFIG, "policy: %s", reason);
    rc = xtars_policy_parse(path, text.data, text.len, out, err);
    xtars_buf_cleanup(&text);
    return rc;
}

xtars_err xtars_policy_new_default(struct xtars_policy **out, char *err)
{
    return xtars_policy_parse("default policy", default_policy, sizeof default_policy - 1, out, err);
}

static int same_keys(const struct rule *r, const struct xtars_action *a)
{
    if (a->key_count != r->key_count)
        return 0;
    for (int i = 0; i < r->key_count; i++) {
        int found = 0;
        for (int j = 0; j < a->key_count && !found; j++)
            found = strcmp(r->keys[i], a->keys[j]) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

static int in_rect(const struct xtars_rect *r, int x, int y)
{
    return x >= r->x && y >= r->y && x < r->x + r->width && y < r->y + r->height;
}

/* Any point the action touches is inside rect. */
static int touches(const struct xtars_action *a, const struct xtars_rect *rect)
{
    return (a->has_point && in_rect(rect, a->x, a->y)) ||
           (a->has_end && in_rect(rect, a->x2, a->y2));
}

/* Any point the action touches is outside bounds. */
static int leaves(const struct xtars_action *a, const struct xtars_rect *bounds)
{
    return (a->has_point && !in_rect(bounds, a->x, a->y)) ||
           (a->has_end && !in_rect(bounds, a->x2, a->y2));
}

/* The typed text as a shell would read it, analysed once per check and only
 * when a rule asks. */
struct analysis {
    const char *text;
    struct xtars_shell_line *line;
    int done;
    xtars_err rc;
};

static int has_command_conditions(const struct rule *r)
{
    return r->command || r->redirect || r->via || r->option_count || r->arg_count || r->piped ||
           r->generated;
}

static int command_matches(const struct rule *r, const struct xtars_shell_command *c)
{
    if (r->command && !xtars_shell_name_matches(c, r->command))
        return 0;
    for (int i = 0; i < r->option_count; i++)
        if (!xtars_shell_has_option(c, r->options[i]))
            return 0;
    for (int i = 0; i < r->arg_count; i++)
        if (!xtars_shell_has_arg(c, r->args[i]))
            return 0;
    if (r->redirect && !xtars_shell_has_redirect(c, r->redirect))
        return 0;
    if (r->via && !xtars_shell_runs_via(c, r->via))
        return 0;
    if (r->piped && !(c->flags & XTARS_SHELL_PIPE_IN))
        return 0;
    return !r->generated || xtars_shell_is_generated(c);
}

/* Line conditions on the line, command conditions all on one command. An
 * analysis that failed (out of memory) matches: the caller refuses. */
static int shell_matches(const struct rule *r, struct analysis *an)
{
    const struct xtars_shell_line *line;
    char err[XTARS_ERRLEN];

    if (!r->obfuscated && !r->fork_bomb && !has_command_conditions(r))
        return 1;
    if (an->text == NULL)
        return 0;
    if (!an->done) {
        an->done = 1;
        an->rc = xtars_shell_parse(an->text, strlen(an->text), &an->line, err);
    }
    if (an->rc != XTARS_OK)
        return 1;
    line = an->line;
    if ((r->obfuscated && !(line->flags & XTARS_SHELL_LINE_OBFUSCATED)) ||
        (r->fork_bomb && !(line->flags & XTARS_SHELL_LINE_FORK_BOMB)))
        return 0;
    if (!has_command_conditions(r))
        return 1;
    for (int i = 0; i < line->count; i++)
        if (command_matches(r, &line->commands[i]))
            return 1;
    return 0;
}

static int rule_matches(const struct rule *r, const struct xtars_action *a,
                        const struct xtars_rect *bounds, struct analysis *an)
{
    if (r->types && !(r->types & (1u << a->type)))
        return 0;
    if (r->key_count && !same_keys(r, a))
        return 0;
    if (r->has_text && (a->text == NULL || regexec(&r->text, a->text, 0, NULL, 0) != 0))
        return 0;
    if (r->has_region && !touches(a, &r->region))
        return 0;
    if (r->outside_bounds && (bounds == NULL || !leaves(a, bounds)))
        return 0;
    return shell_matches(r, an);
}

enum xtars_policy_effect xtars_policy_check(const struct xtars_policy *policy,
                                            const struct xtars_action *action,
                                            const struct xtars_rect *bounds, char *reason,
                                            size_t reason_size)
{
    struct analysis an = {.text = action->text};
    enum xtars_policy_effect effect = XTARS_POLICY_ALLOW;
    const char *why = "";

    for (int i = 0; policy && i < policy->count; i++) {
        const struct rule *r = &policy->rules[i];
        if (!rule_matches(r, action, bounds, &an))
            continue;
        effect = r->effect, why = r->reason;
        if (an.rc != XTARS_OK) /* fail closed: text that could not be analysed */
            effect = XTARS_POLICY_DENY, why = "the typed text could not be analysed (out of memory)";
        break;
    }
    if (reason && reason_size)
        snprintf(reason, reason_size, "%s", why);
    xtars_shell_line_free(an.line);
    return effect;
}

xtars_err xtars_policy_from_setting(const char *setting, struct xtars_policy **out, char *err)
{
    if (setting[0] == '\0')
        return xtars_policy_new_default(out, err);
    if (strcmp(setting, "none") == 0)
        return xtars_policy_new_empty(out, err);
    return xtars_policy_load(setting, out, err);
}
