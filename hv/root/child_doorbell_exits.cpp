// A child's write to one of its partition's doorbells (docs/hypercalls.md §11): hv completes
// the store itself and VP_RUN returns RS_EXIT_DOORBELL with the doorbell's cookie, so the
// hvroot driver signals the device thread's eventfd and runs the VP again without the VMM.
// Anything but a plain store of the doorbell's size (and value) stays an RS_EXIT_MEMORY.
#include <rootstock/x86/decoder.hpp>
#include <rootstock/x86/emulate.hpp>

#include "arch/x86/svm/svm_child.hpp"
#include "root/child_run_state.hpp"
#include "vcpu/decoder_state.hpp"

namespace hv::root {

namespace dx = rootstock::x86;

bool ring_doorbell(Run& r, const NestedFault& fault) {
  if (!fault.write || fault.execute) return false;
  Partition& p = *r.ticket.partition;
  {
    SpinlockGuard irq(p.irq_lock);
    if (!p.doorbells.any_at(fault.gpa)) return false;  // the common case: no decoding
  }
  uint8_t bytes[16];
  const uint8_t count = fetch_instruction(r, bytes);
  if (count == 0) return false;  // run again by the memory exit's own rule
  const svm::VmcbSave& s = r.vmcb.save;
  dx::DecodedAccess access;
  if (dx::decode(bytes, count, decoder_mode(s.efer, s.cs.attrib), access) !=
          dx::DecodeStatus::kOk ||
      access.kind != dx::DecodedAccess::Kind::kWrite) {
    return false;
  }
  const uint64_t value = dx::store_value(access, decoder_gprs(r.ticket.vp->regs, s.rax, s.rsp)) &
                         doorbell_value_mask(access.size);
  Doorbell rung;
  {
    SpinlockGuard irq(p.irq_lock);
    const Doorbell* d = p.doorbells.ringing(fault.gpa, access.size, value);
    if (d == nullptr) return false;
    rung = *d;
  }
  skip_instruction(r, access.length);
  rs_exit_doorbell& out = r.ticket.run_page->exit.doorbell;
  out = rs_exit_doorbell{};
  out.gpa = rung.gpa;
  out.value = value;
  out.cookie = rung.cookie;
  out.length = rung.length;
  r.exit.reason = RS_EXIT_DOORBELL;
  ++r.stats[RS_STAT_DOORBELL];
  return true;
}

}  // namespace hv::root
