'use client';
/** Keeps the drawing across a reload: saved to localStorage a moment after each change, restored once at start. */
import { useEffect } from 'react';
import { sketchFromText, sketchToText } from '@/lib/sketch/serialize';
import { isEmpty } from '@/lib/sketch';
import { useSketch } from '@/stores/sketch';

const KEY = 'lantern-sketch';
/** Quiet time after the last change before saving (a stroke changes the document once, at pointer-up). */
const SAVE_DELAY_MS = 300;

export function useSketchPersistence(): void {
  useEffect(() => {
    const saved = sketchFromText(localStorage.getItem(KEY));
    if (saved && isEmpty(useSketch.getState().sketch)) {
      try {
        useSketch.getState().dispatch({ type: 'load', doc: saved });
      } catch (err) {
        console.warn('lantern: saved sketch not restored', err);
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = useSketch.subscribe((s, prev) => {
      if (s.sketch.doc === prev.sketch.doc) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        try {
          localStorage.setItem(KEY, sketchToText(useSketch.getState().sketch.doc));
        } catch (err) {
          // Full storage: the drawing still works, it just will not survive a reload.
          console.warn('lantern: sketch not saved', err);
        }
      }, SAVE_DELAY_MS);
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, []);
}
