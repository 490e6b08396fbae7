/*
 * serial.h — COM1 (I/O port 0x3F8), polled, 115200 baud 8N1.
 *
 * The only way results leave the kernel: every line the console prints
 * goes here first (see docs/kernel.md, "The serial line protocol").
 */
#ifndef HEAPLAB_KERNEL_SERIAL_H
#define HEAPLAB_KERNEL_SERIAL_H

#include <stdint.h>

/* Program the UART: 115200 baud, 8 data bits, no parity, 1 stop bit,
 * FIFOs on, no interrupts. */
void serial_init(void);
/* Send one byte, waiting until the transmitter holds no byte.
 * pre: serial_init() ran. */
void serial_putc(char c);

#endif /* HEAPLAB_KERNEL_SERIAL_H */
