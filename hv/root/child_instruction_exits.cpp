// The child's instructions hv intercepts so that they reach nothing of the host: MOV to CR4
// (arch/x86/cr4.hpp), RDPMC (the host's performance counters) and the SVM instructions VMRUN
// cannot keep to the child (INVLPGA would flush another ASID's translations; VMLOAD, VMSAVE,
// STGI, CLGI and SKINIT act on hv's state). A child sees EFER.SVME clear, so for it they do not
// exist: #UD, as on a CPU with SVM off (AMD APM vol. 3, each instruction's exceptions).
#include <rootstock/x86/control_register.hpp>

#include "arch/x86/cpuid.hpp"
#include "arch/x86/cr4.hpp"
#include "arch/x86/msr.hpp"
#include "arch/x86/svm/exit_decode.hpp"
#include "root/child_run_state.hpp"
#include "vcpu/decoder_state.hpp"

namespace hv::root {
namespace {

namespace dx = rootstock::x86;

constexpr uint8_t kVectorUd = 6;
constexpr uint64_t kLenRdpmc = 2;
constexpr uint64_t kLow32 = 0xffffffffull;
// CPUID 07h ECX (SDM vol. 2A): the CR4 bits beyond cr4::kChildBase that follow the CPU.
constexpr uint32_t kLeafStructuredExt = 0x7;
constexpr uint32_t kStructEcxUmip = 1u << 2, kStructEcxLa57 = 1u << 16;
// The legacy performance counters every AMD64 CPU has (APM vol. 2, 13.2.1): RDPMC takes 0-3,
// 0-5 with the core extension. hv gives a child none of the host's: they read 0.
constexpr uint32_t kRdpmcLastCounter = 5;

uint64_t child_cr4_allowed() {
  static uint64_t allowed = 0;
  if (allowed == 0) {
    const uint32_t ecx = x86::cpuid(kLeafStructuredExt, 0).ecx;
    uint64_t a = x86::cr4::kChildBase;
    if ((ecx & kStructEcxUmip) != 0) a |= x86::cr4::kUmip;
    if ((ecx & kStructEcxLa57) != 0) a |= x86::cr4::kLa57;
    allowed = a;
  }
  return allowed;
}

}  // namespace

void inject_ud(Run& r) {
  r.vmcb.control.event_inject = svm::event_inj::kValid | svm::event_inj::kTypeException | kVectorUd;
}

void handle_cr4_write(Run& r) {
  svm::VmcbSave& s = r.vmcb.save;
  uint8_t bytes[16];
  const uint8_t count = fetch_instruction(r, bytes);
  // The child's page tables changed under hv (another VP): the MOV runs again and exits again,
  // or the child takes its own page fault fetching it.
  if (count == 0) return;
  dx::MovToControlRegister mov;
  if (dx::decode_mov_to_cr(bytes, count, decoder_mode(s.efer, s.cs.attrib), mov) !=
          dx::DecodeStatus::kOk ||
      mov.cr != 4 || s.cpl != 0) {
    inject_gp(r);
    return;
  }
  const dx::Gprs g = decoder_gprs(r.ticket.vp->regs, s.rax, s.rsp);
  uint64_t value = g.r[mov.gpr];
  if (mov.size == 4) value &= kLow32;
  const bool long_mode = (s.efer & x86::efer::kLma) != 0;
  if (!x86::cr4::child_write_allowed(s.cr4, value, child_cr4_allowed(), long_mode, s.cr3)) {
    inject_gp(r);
    return;
  }
  // The CPU would flush here (SDM vol. 3A, 4.10.4.1); a VMCB write does not.
  if (((s.cr4 ^ value) & x86::cr4::kFlushOnChange) != 0) {
    r.vmcb.control.tlb_control = static_cast<uint8_t>(svm::TlbControl::kFlushAll);
  }
  s.cr4 = value;
  skip_instruction(r, mov.length);
}

void handle_rdpmc(Run& r) {
  svm::VmcbSave& s = r.vmcb.save;
  GuestRegisters& g = r.ticket.vp->regs;
  // RDPMC at CPL > 0 needs CR4.PCE (APM vol. 3, RDPMC); a counter the CPU lacks is #GP too.
  const bool allowed = s.cpl == 0 || (s.cr4 & x86::cr4::kPce) != 0;
  if (!allowed || (g.rcx & kLow32) > kRdpmcLastCounter) {
    inject_gp(r);
    return;
  }
  s.rax = 0;
  g.rdx = 0;
  skip_instruction(r, kLenRdpmc);
}

bool handle_svm_instruction(Run& r, uint64_t exit_code) {
  using svm::ExitCode;
  switch (static_cast<ExitCode>(exit_code)) {
    case ExitCode::kVmrun:
    case ExitCode::kVmload:
    case ExitCode::kVmsave:
    case ExitCode::kStgi:
    case ExitCode::kClgi:
    case ExitCode::kSkinit:
    case ExitCode::kInvlpga:
      inject_ud(r);
      return true;
    default:
      return false;
  }
}

}  // namespace hv::root
