/* fuzz_import.c: libFuzzer target for the readers of other tools' runs. The
 * first byte picks the reader: the pyautogui translator (with a screen size
 * and a pointer state from the next bytes), the OSWorld traj.jsonl reader,
 * or the UI-TARS-desktop GUIAgentData reader; the rest is their input. Each
 * must return a result or an error, never crash, leak or exceed its caps;
 * a translation must stay inside the screen it was given. */
#include <stddef.h>
#include <stdint.h>

#include "agent/interop/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void pyautogui(const uint8_t *data, size_t size)
{
    static const struct xtars_rect screens[4] = {
        {0, 0, 1920, 1080}, {0, 0, 640, 480}, {0, 0, 1, 1}, {0, 0, 32767, 32767}};
    struct xtars_pyautogui_state state = {0};
    struct xtars_pyautogui out;
    const struct xtars_rect *screen;
    char err[XTARS_ERRLEN];

    if (size < 2)
        return;
    screen = &screens[data[0] % 4];
    if (data[1] & 1)
        state.has_pointer = 1, state.x = screen->width / 2, state.y = screen->height / 2;
    if (xtars_pyautogui_translate((const char *)data + 2, size - 2, screen, &state, &out, err) ==
        XTARS_OK) {
        if (out.action_count > XTARS_PYAUTOGUI_MAX_ACTIONS)
            __builtin_trap();
        for (int i = 0; i < out.action_count; i++) {
            const struct xtars_action *a = &out.actions[i];
            if (a->has_point && (a->x < 0 || a->y < 0 || a->x >= screen->width || a->y >= screen->height))
                __builtin_trap();
        }
    }
    xtars_pyautogui_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xtars_import_stats stats;
    char err[XTARS_ERRLEN];

    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        pyautogui(data + 1, size - 1);
        break;
    case 1:
        xtars_import_osworld_check((const char *)data + 1, size - 1, 1920, 1080, &stats, err);
        break;
    default:
        xtars_import_uitars_desktop_check((const char *)data + 1, size - 1, &stats, err);
        break;
    }
    return 0;
}
