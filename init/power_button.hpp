// The ACPI power button as Linux presents it: an input device named "Power Button" (the
// acpi/button driver) that reports KEY_POWER (linux/input-event-codes.h).
#pragma once

#include <string>
#include <vector>

namespace rootstock::init {

/// Opens every /dev/input/event* whose device name is "Power Button" (non-blocking); returns
/// the descriptors (none on a machine without one).
std::vector<int> open_power_buttons();

/// Reads the pending events of a power-button descriptor; true when KEY_POWER was pressed.
bool power_button_pressed(int fd);

}  // namespace rootstock::init
