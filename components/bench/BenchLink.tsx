'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { benchHref } from './plan';

/**
 * The studio's way to /bench: a client-side navigation, so the benchmark runs on the model the
 * studio has open, in the same worker, without loading it again.
 */
export function BenchLink() {
  const router = useRouter();
  return (
    <Link
      href="/bench"
      data-testid="bench-link"
      className="underline hover:text-neutral-700 dark:hover:text-neutral-300"
      onClick={(e) => {
        const href = benchHref(window.location.search);
        if (href === '/bench') return;
        e.preventDefault();
        router.push(href);
      }}
    >
      Benchmark this device
    </Link>
  );
}
