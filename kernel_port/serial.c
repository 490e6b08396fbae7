/*
 * serial.c — COM1 driver, polled.  No interrupts are ever enabled in this
 * kernel, so transmit waits on the line status register.
 */
#include "kernel_port/serial.h"

#include "kernel_port/x86.h"

#define COM1_PORT 0x3F8u

/* Register offsets from the base port. */
#define UART_DATA 0u /* DLAB=0: transmit holding / receive buffer */
#define UART_IER 1u  /* DLAB=0: interrupt enable */
#define UART_DLL 0u  /* DLAB=1: divisor latch, low byte */
#define UART_DLM 1u  /* DLAB=1: divisor latch, high byte */
#define UART_FCR 2u  /* FIFO control */
#define UART_LCR 3u  /* line control */
#define UART_MCR 4u  /* modem control */
#define UART_LSR 5u  /* line status */

#define UART_LCR_DLAB 0x80u
#define UART_LCR_8N1 0x03u       /* 8 data bits, no parity, 1 stop bit */
#define UART_FCR_ENABLE 0xC7u    /* enable, clear both FIFOs, 14-byte trigger */
#define UART_MCR_DTR_RTS 0x03u
#define UART_LSR_THR_EMPTY 0x20u /* the holding register takes a byte */

/* The UART's clock is 1.8432 MHz / 16 = 115200 baud at divisor 1. */
#define UART_BASE_BAUD 115200u
#define SERIAL_BAUD 115200u
_Static_assert(UART_BASE_BAUD % SERIAL_BAUD == 0, "baud divides the UART clock");

static void uart_out(unsigned reg, uint8_t v) { x86_outb((uint16_t)(COM1_PORT + reg), v); }
static uint8_t uart_in(unsigned reg) { return x86_inb((uint16_t)(COM1_PORT + reg)); }

void serial_init(void)
{
    uint16_t divisor = (uint16_t)(UART_BASE_BAUD / SERIAL_BAUD);
    uart_out(UART_IER, 0);
    uart_out(UART_LCR, UART_LCR_DLAB);
    uart_out(UART_DLL, (uint8_t)(divisor & 0xFFu));
    uart_out(UART_DLM, (uint8_t)(divisor >> 8));
    uart_out(UART_LCR, UART_LCR_8N1);
    uart_out(UART_FCR, UART_FCR_ENABLE);
    uart_out(UART_MCR, UART_MCR_DTR_RTS);
}

void serial_putc(char c)
{
    while ((uart_in(UART_LSR) & UART_LSR_THR_EMPTY) == 0)
        ;
    uart_out(UART_DATA, (uint8_t)c);
}
