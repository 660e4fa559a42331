/* Minimal Cortex-M55 startup for the conformance harness on QEMU's mps3-an547: vector table
   (initial stack pointer, reset handler), enable the FPU/MVE coprocessors CP10 and CP11 in CPACR
   before any MVE instruction can run, copy .data from ITCM, zero .bss, open semihosting stdio,
   run main. */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__, __stack_top__;
extern int main(int argc, char** argv);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);

/* The crt0 we skip (-nostartfiles) would provide these; nothing needs constructors here. */
void _init(void) {}
void _fini(void) {}

__attribute__((section(".vectors"), used)) static void (*const vector_table[2])(void) = {
    (void (*)(void))(&__stack_top__),
    Reset_Handler,
};

#define CPACR (*(volatile uint32_t*)0xE000ED88u)

void Reset_Handler(void) {
  CPACR |= 0xFu << 20; /* CP10, CP11: full access */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  uint32_t* src = &__data_load__;
  for (uint32_t* dst = &__data_start__; dst < &__data_end__;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
  initialise_monitor_handles();
  exit(main(0, 0));
}
