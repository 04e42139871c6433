import type { Metadata } from 'next';
import { BenchPage } from '@/components/bench/BenchPage';

export const metadata: Metadata = { title: 'Lantern — benchmark' };

export default function Page() {
  return <BenchPage />;
}
