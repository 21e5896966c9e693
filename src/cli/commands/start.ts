import { idOnlyCommand } from '../command.js';

export default idOnlyCommand('start', 'start a created container', (g, id) => g.runtime.start(id));
