/*
 * The payloads' flat binaries, built from real16.S, long64.S, irq64.S and hostile64.S
 * (selftest/payloads/CMakeLists.txt), as read-only data of the rootstock binary; payloads.cpp
 * gives them out as spans.
 */
.section .rodata.rootstock_payloads, "a"
.balign 16
.global rootstock_payload_real16_start, rootstock_payload_real16_end
rootstock_payload_real16_start:
.incbin ROOTSTOCK_PAYLOAD_REAL16
rootstock_payload_real16_end:
.balign 16
.global rootstock_payload_long64_start, rootstock_payload_long64_end
rootstock_payload_long64_start:
.incbin ROOTSTOCK_PAYLOAD_LONG64
rootstock_payload_long64_end:
.balign 16
.global rootstock_payload_irq64_start, rootstock_payload_irq64_end
rootstock_payload_irq64_start:
.incbin ROOTSTOCK_PAYLOAD_IRQ64
rootstock_payload_irq64_end:
.balign 16
.global rootstock_payload_hostile64_start, rootstock_payload_hostile64_end
rootstock_payload_hostile64_start:
.incbin ROOTSTOCK_PAYLOAD_HOSTILE64
rootstock_payload_hostile64_end:

.section .note.GNU-stack, "", @progbits
