// Waiting, shown: a spinner on a terminal, plain dots when stderr is a pipe or a file.
import type { Stream } from './context.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Spinner {
  private readonly stream: Stream;
  private readonly label: string;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(stream: Stream, label: string) {
    this.stream = stream;
    this.label = label;
  }

  start(): void {
    this.started = true;
    if (this.stream.isTTY) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref?.();
    } else {
      this.stream.write(this.label);
    }
  }

  /** One unit of waiting (a poll): a dot when not on a terminal. */
  tick(): void {
    if (this.started && !this.stream.isTTY) this.stream.write('.');
  }

  stop(finalLine?: string): void {
    if (!this.started) return;
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.stream.isTTY) this.stream.write('\r\x1b[2K');
    else this.stream.write('\n');
    if (finalLine) this.stream.write(`${finalLine}\n`);
  }

  private draw(): void {
    this.stream.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.label}`);
  }
}
