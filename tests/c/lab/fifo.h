/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FIFO_H
#define FIFO_H

extern int put_item(char item);
extern int get_item(char *item);

#endif
