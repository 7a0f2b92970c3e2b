// Model versions, the active model, training (online updates, warm start, full training).
export * from './repository';
export * from './fullTrain';
