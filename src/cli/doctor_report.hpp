// doctor's findings as people read them (aligned in 80 columns, the verdict coloured on a
// terminal) and as tools read them (JSON, one object per check with its stable id).
#pragma once

#include "rolesanywhere/doctor.hpp"

#include <string>

namespace rolesanywhere::cli {

// One finding per line: verdict, id, what was found, wrapped to 80 columns; under a problem or
// warning its fix, under a skipped check what would let it run; then a summary line.
std::string doctor_text_report(const doctor::Findings& findings, bool colour);

// {"checks":[{"id":..,"verdict":..,"what":..,"remedy":..},...],"problems":N,"warnings":N}
std::string doctor_json_report(const doctor::Findings& findings);

// Colour only for a terminal, and never when NO_COLOR is set to anything (no-color.org) or the
// terminal is dumb.
bool use_colour_on_stdout();

}  // namespace rolesanywhere::cli
