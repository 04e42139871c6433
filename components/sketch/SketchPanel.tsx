'use client';
/** Canvas, tools, upload, conditioning controls and live mode, kept in step with the output size. */
import { useEffect, useState } from 'react';
import { useRun } from '@/stores/run';
import { useSettings } from '@/stores/settings';
import { useSketch } from '@/stores/sketch';
import { ConditioningControls } from '../ConditioningControls';
import { cancelGenerate, requestLive } from '../engine';
import { buildRunRequest } from '../run-request';
import { ControlPreview } from './ControlPreview';
import { decodeImageFile } from './image-io';
import { SketchCanvas } from './SketchCanvas';
import { SketchToolbar } from './SketchToolbar';
import { importEdges, SketchUpload } from './SketchUpload';
import { useSketchPersistence } from './persist-sketch';

/** Quiet time after the last stroke before live mode regenerates. */
const LIVE_DEBOUNCE_MS = 250;

function useLiveMode() {
  const liveMode = useSettings((s) => s.liveMode);
  const doc = useSketch((s) => s.sketch.doc);
  const drawing = useSketch((s) => s.sketch.active !== null);

  // A new stroke makes the picture in flight stale: stop it.
  useEffect(() => {
    if (liveMode && drawing && useRun.getState().phase === 'generating') cancelGenerate();
  }, [liveMode, drawing]);

  useEffect(() => {
    if (!liveMode || drawing || !useRun.getState().model) return;
    const timer = setTimeout(() => requestLive(buildRunRequest({ live: true })), LIVE_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [liveMode, doc, drawing]);
}

export function SketchPanel() {
  const width = useSettings((s) => s.width);
  const height = useSettings((s) => s.height);
  const doc = useSketch((s) => s.sketch.doc);
  const dispatch = useSketch((s) => s.dispatch);
  const [uploadError, setUploadError] = useState<string | null>(null);
  useLiveMode();
  useSketchPersistence();

  // The canvas has the output's aspect ratio and size: what you see is what conditions.
  useEffect(() => {
    if (doc.width !== width || doc.height !== height) dispatch({ type: 'resize', width, height });
  }, [doc.width, doc.height, width, height, dispatch]);

  const onEdgeFile = (file: File) => {
    setUploadError(null);
    decodeImageFile(file)
      .then((img) => {
        useSketch.getState().patch({ edgeSource: img });
        importEdges();
      })
      .catch((err: Error) => setUploadError(err.message));
  };
  const onInitFile = (file: File) => {
    setUploadError(null);
    decodeImageFile(file)
      .then((img) => useSketch.getState().patch({ initUpload: img }))
      .catch((err: Error) => setUploadError(err.message));
  };

  return (
    <div className="grid gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
      <div className="flex flex-col gap-2">
        <h2 className="font-semibold">Sketch</h2>
        <SketchToolbar />
        <SketchCanvas onDropFile={onEdgeFile} />
        <ControlPreview width={width} height={height} />
      </div>
      <div className="flex flex-col gap-3">
        <ConditioningControls onUpload={onInitFile} />
        <SketchUpload onFile={onEdgeFile} />
        {uploadError && (
          <p role="alert" className="text-sm text-red-600">
            {uploadError}
          </p>
        )}
      </div>
    </div>
  );
}
