/* xtars.h: the whole public API of libxtars in one include.
 *
 * Build against the installed library with
 *   cc prog.c $(pkg-config --cflags --libs xtars)
 * or, in CMake, find_package(xtars) and link the target xtars::xtars.
 * Each header below says who frees what; every fallible function returns an
 * xtars_err and puts a one-line detail into a caller's XTARS_ERRLEN buffer.
 */
#ifndef XTARS_H
#define XTARS_H

#include "xtars/version.h"
#include "xtars/error.h"
#include "xtars/buf.h"
#include "xtars/log.h"
#include "xtars/config.h"
#include "xtars/coords.h"
#include "xtars/action.h"
#include "xtars/parse.h"
#include "xtars/image.h"
#include "xtars/capture.h"
#include "xtars/exec.h"
#include "xtars/model.h"
#include "xtars/trajectory.h"
#include "xtars/replay.h"
#include "xtars/agent.h"

#endif
